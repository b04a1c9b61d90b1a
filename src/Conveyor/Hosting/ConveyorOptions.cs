using Conveyor.Storage;

namespace Conveyor;

/// <summary>
/// Everything <c>AddConveyor</c> configures, with documented defaults. Bound from the <c>Conveyor</c> configuration
/// section, then the <c>AddConveyor(o => ...)</c> delegates; validated at start (names the bad setting) and read-only
/// from then on: changing a setting after the host started throws instead of half-applying.
/// </summary>
public sealed class ConveyorOptions
{
    private bool _frozen;

    /// <summary>
    /// Queues this process works. Default: ["default"]. Without weights, the jobs' priority decides across them; with
    /// <c>name:weight</c> entries they are served in tiers: an unweighted queue strictly before the ones after it, and
    /// consecutive weighted queues sharing slots by weight (<c>["critical", "default:3", "low:1"]</c>).
    /// </summary>
    public IList<string> Queues { get; set { Unfrozen(); field = value; } } = ["default"];

    /// <summary>Jobs run at once by this process. Default: processor count x 4 (I/O-bound handlers are the norm).</summary>
    public int Concurrency { get; set { Unfrozen(); field = value; } } = Environment.ProcessorCount * 4;

    /// <summary>
    /// Most jobs this process claims ahead of its free slots, so that slots refill from memory while the next claim is in
    /// flight and one commit claims many jobs. It holds no more than it would start in the next 100 ms at its recent rate:
    /// a worker of long jobs keeps (almost) none back from other workers. Claimed-ahead jobs are leased to this worker (they
    /// show as running, count toward queue limits, and are handed back at shutdown without charging an attempt). 0 turns
    /// it off. Default 1,500.
    /// </summary>
    // 1,500 rather than 500: at 24 slots on a durable PostgreSQL (2 cores, `Conveyor.Bench drain --concurrency 24 --runs 8
    // --claim-ahead N`, medians of the last five drains, five pairs) 500 gave 21,228-25,446 jobs/s and 1,500
    // 23,280-27,425, each pair in 1,500's favour; at 8 slots the two were even (23,935-25,445 and 24,170-26,581); 3,000
    // gained nothing more. The horizon (100 ms of starts) still bounds what a worker holds back from others.
    public int ClaimAhead { get; set { Unfrozen(); field = value; } } = 1500;

    /// <summary>Fallback poll when no wake-up arrives (wake-ups are immediate in-process and via NOTIFY). Default 1 s.</summary>
    public TimeSpan PollInterval { get; set { Unfrozen(); field = value; } } = TimeSpan.FromSeconds(1);

    /// <summary>How long a claim holds a job without a heartbeat; heartbeats every Lease/3. Default 30 s.</summary>
    public TimeSpan Lease { get; set { Unfrozen(); field = value; } } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// How often leases are extended and cancellation requests looked for. Default: Lease/3, at most 1 s, so that a
    /// cancel reaches a handler within a second even where no notification carries it (SQLite across processes).
    /// </summary>
    public TimeSpan? HeartbeatInterval { get; set { Unfrozen(); field = value; } }

    internal TimeSpan EffectiveHeartbeatInterval => HeartbeatInterval ?? TimeSpan.FromTicks(Math.Min(Lease.Ticks / 3, TimeSpan.FromSeconds(1).Ticks));

    /// <summary>On stop: how long running jobs may finish before they are cancelled and handed back. Default 30 s.</summary>
    public TimeSpan ShutdownTimeout { get; set { Unfrozen(); field = value; } } = TimeSpan.FromSeconds(30);

    /// <summary>This process's identity in leases and logs. Default: host-pid-random.</summary>
    public string WorkerId { get; set { Unfrozen(); field = value; } } = $"{Environment.MachineName}-{Environment.ProcessId}-{Random.Shared.Next(0x1000, 0xFFFF):x4}";

    /// <summary>Attempts before a job fails, for kinds and jobs that set none. Default 10.</summary>
    public int DefaultMaxAttempts { get; set { Unfrozen(); field = value; } } = 10;

    /// <summary>Back-off between attempts, for kinds that set none. Default: 1 s, x2, capped at 1 h, ±20 %.</summary>
    public BackoffPolicy Backoff { get; set { Unfrozen(); field = value; } } = BackoffPolicy.Default;

    /// <summary>Run workers in this process (false: enqueue and query only, as the CLI's enqueue does). Default true.</summary>
    public bool RunWorkers { get; set { Unfrozen(); field = value; } } = true;

    /// <summary>Run the rescuer, promoter and pruner in this process. Default: same as <see cref="RunWorkers"/>.</summary>
    public bool? RunMaintenance { get; set { Unfrozen(); field = value; } }

    /// <summary>Refuse enqueues of kinds with no handler in this process. Default false (another worker version may know the kind).</summary>
    public bool StrictKinds { get; set { Unfrozen(); field = value; } }

    /// <summary>Create or upgrade the schema at start. Default true; false lets a DBA own the schema.</summary>
    public bool AutoMigrate { get; set { Unfrozen(); field = value; } } = true;

    /// <summary>Largest accepted args JSON, in UTF-8 bytes. Default 1 MiB.</summary>
    public int MaxArgsBytes { get; set { Unfrozen(); field = value; } } = 1024 * 1024;

    /// <summary>At most one progress write per job per interval; the last value always lands. Default 250 ms.</summary>
    public TimeSpan ProgressInterval { get; set { Unfrozen(); field = value; } } = TimeSpan.FromMilliseconds(250);

    /// <summary>How long the completer gathers outcomes before one batched write. Default 2 ms.</summary>
    public TimeSpan CompleterWindow { get; set { Unfrozen(); field = value; } } = TimeSpan.FromMilliseconds(2);

    /// <summary>Most outcomes in one batched write. Default 1000.</summary>
    public int CompleterBatchSize { get; set { Unfrozen(); field = value; } } = 1000;

    /// <summary>How often expired leases are looked for. Default 5 s.</summary>
    public TimeSpan RescueInterval { get; set { Unfrozen(); field = value; } } = TimeSpan.FromSeconds(5);

    /// <summary>Completed jobs are deleted after this long. Default 7 days.</summary>
    public TimeSpan CompletedRetention { get; set { Unfrozen(); field = value; } } = TimeSpan.FromDays(7);

    /// <summary>Failed and cancelled jobs are deleted after this long. Default 30 days.</summary>
    public TimeSpan FailedRetention { get; set { Unfrozen(); field = value; } } = TimeSpan.FromDays(30);

    /// <summary>How often the pruner runs (in batches of <see cref="PruneBatchSize"/>). Default 1 min.</summary>
    public TimeSpan PruneInterval { get; set { Unfrozen(); field = value; } } = TimeSpan.FromMinutes(1);

    /// <summary>Finished jobs deleted per statement. Default 1000.</summary>
    public int PruneBatchSize { get; set { Unfrozen(); field = value; } } = 1000;

    internal JobKindRegistry Kinds { get; } = new();

    internal Func<IServiceProvider, IConveyorStore>? StoreFactory { get; private set; }

    /// <summary>True once a store was chosen (Conveyor.Testing picks a temporary SQLite file otherwise).</summary>
    internal bool HasStore => StoreFactory is not null;

    internal bool ShouldRunMaintenance => RunMaintenance ?? RunWorkers;

    /// <summary>Selects the store; store packages add <c>UseSqlite</c> and <c>UsePostgres</c> on top of this.</summary>
    public ConveyorOptions UseStore(Func<IServiceProvider, IConveyorStore> factory)
    {
        Unfrozen();
        StoreFactory = factory ?? throw new ArgumentNullException(nameof(factory));
        return this;
    }

    /// <summary>
    /// Registers a handler for a stable kind string (never a CLR name: renaming a class must not break queued jobs).
    /// Registering the same kind with the same handler again is harmless; another handler for a taken kind is an error.
    /// </summary>
    public ConveyorOptions AddHandler<TArgs, THandler>(string kind, Action<JobKindOptions>? configure = null)
        where THandler : class, IJobHandler<TArgs>
    {
        Unfrozen();
        var options = new JobKindOptions();
        configure?.Invoke(options);
        Kinds.Add<TArgs, THandler>(kind, options);
        return this;
    }

    /// <summary>The kinds registered so far.</summary>
    public IReadOnlyCollection<JobKindRegistration> RegisteredKinds => Kinds.All;

    /// <summary>
    /// Queues whose attempts start a new trace linked to the enqueuing one instead of continuing it as a child (for jobs
    /// that run long after they were enqueued, which would stretch the first trace over days). Default: none.
    /// </summary>
    public IList<string> TraceLinkQueues { get; set { Unfrozen(); field = value; } } = [];

    internal List<Scheduling.ScheduleDefinition> Schedules { get; } = [];

    internal List<Sources.TableSourceDefinition> TableSources { get; } = [];

    internal Http.HttpAllowList? HttpAllow { get; private set; }

    /// <summary>Set by <c>conveyor drain</c>: run what is ready now (up to a number) and say when done.</summary>
    internal Execution.DrainPlan? Drain { get; set; }

    /// <summary>
    /// Registers the built-in <c>http</c> kind, which calls the URL in its args, allowed only to the given hosts (names, IP
    /// addresses, CIDR ranges; none: no call at all). Internal addresses (loopback, private, link-local) are reachable only
    /// when they are listed themselves: <c>o.AddHttpJobs("api.example.com", "10.1.2.3")</c>.
    /// </summary>
    public ConveyorOptions AddHttpJobs(params string[] allowedHosts)
    {
        Unfrozen();
        HttpAllow = new Http.HttpAllowList(allowedHosts);
        return AddHandler<Http.HttpJobArgs, Http.HttpJobHandler>("http");
    }

    /// <summary>
    /// Defines a cron schedule, upserted by name in the store when the host starts (so every process may declare it):
    /// <c>o.AddSchedule("nightly-report", "0 3 * * *", "report.build", s => s with { TimeZone = "Europe/Berlin" })</c>.
    /// The expression is checked here: an invalid one throws <see cref="JobValidationException"/> naming what is wrong.
    /// </summary>
    public ConveyorOptions AddSchedule(string name, string cron, string kind, Func<Scheduling.ScheduleDefinition, Scheduling.ScheduleDefinition>? configure = null)
    {
        Unfrozen();
        var definition = new Scheduling.ScheduleDefinition { Name = name, Cron = cron, Kind = kind };
        definition = configure?.Invoke(definition) ?? definition;
        Scheduling.ScheduleValidation.Validate(definition);
        if (Schedules.Any(s => s.Name == definition.Name))
            throw new InvalidOperationException($"A schedule named '{definition.Name}' is already defined.");
        Schedules.Add(definition);
        return this;
    }

    /// <summary>
    /// Defines a table source (PostgreSQL), upserted by name when the host starts: rows of <paramref name="table"/> whose
    /// <paramref name="statusColumn"/> is <paramref name="fromStatus"/> are moved to <paramref name="toStatus"/> and enqueued as
    /// <paramref name="kind"/> jobs, in one statement: <c>o.AddTableSource("reviews", "uploaded_files", "status", "pending_review",
    /// "queued", "review.run", s => s with { Columns = ["id", "path"] })</c>. Names are checked here (plain identifiers only).
    /// </summary>
    public ConveyorOptions AddTableSource(string name, string table, string statusColumn, string fromStatus, string toStatus, string kind,
        Func<Sources.TableSourceDefinition, Sources.TableSourceDefinition>? configure = null)
    {
        Unfrozen();
        var source = new Sources.TableSourceDefinition
        {
            Name = name, Table = table, StatusColumn = statusColumn, FromStatus = fromStatus, ToStatus = toStatus, Kind = kind,
        };
        source = configure?.Invoke(source) ?? source;
        Sources.TableSourceValidation.Validate(source);
        if (TableSources.Any(s => s.Name == source.Name))
            throw new InvalidOperationException($"A table source named '{source.Name}' is already defined.");
        TableSources.Add(source);
        return this;
    }

    /// <summary>Makes every setting read-only (called once the options are validated, as the host starts).</summary>
    internal void Freeze()
    {
        if (_frozen)
            return;
        Queues = Queues.ToList().AsReadOnly();
        TraceLinkQueues = TraceLinkQueues.ToList().AsReadOnly();
        _frozen = true;
    }

    private void Unfrozen()
    {
        if (_frozen)
            throw new InvalidOperationException("ConveyorOptions are read-only once the host has started; configure them in AddConveyor(...) or the 'Conveyor' configuration section.");
    }
}
