using Conveyor.Storage;

namespace Conveyor;

/// <summary>
/// Everything <c>AddConveyor</c> configures, with documented defaults. Validated once at start
/// (<see cref="Validate"/>): a bad value stops the host with a clear message instead of misbehaving later.
/// </summary>
public sealed class ConveyorOptions
{
    /// <summary>Queues this process works. Default: ["default"].</summary>
    public List<string> Queues { get; set; } = ["default"];

    /// <summary>Jobs run at once by this process. Default: processor count x 4 (I/O-bound handlers are the norm).</summary>
    public int Concurrency { get; set; } = Environment.ProcessorCount * 4;

    /// <summary>Fallback poll when no wake-up arrives (wake-ups are immediate in-process and via NOTIFY). Default 1 s.</summary>
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>How long a claim holds a job without a heartbeat; heartbeats every Lease/3. Default 30 s.</summary>
    public TimeSpan Lease { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// How often leases are extended and cancellation requests looked for. Default: Lease/3, at most 1 s, so that a
    /// cancel reaches a handler within a second even where no notification carries it (SQLite across processes).
    /// PostgreSQL delivers cancellations by NOTIFY at once, so a longer interval only delays lease renewal there.
    /// </summary>
    public TimeSpan? HeartbeatInterval { get; set; }

    internal TimeSpan EffectiveHeartbeatInterval => HeartbeatInterval ?? TimeSpan.FromTicks(Math.Min(Lease.Ticks / 3, TimeSpan.FromSeconds(1).Ticks));

    /// <summary>On stop: how long running jobs may finish before they are cancelled and handed back. Default 30 s.</summary>
    public TimeSpan ShutdownTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>This process's identity in leases and logs. Default: host-pid-random.</summary>
    public string WorkerId { get; set; } = $"{Environment.MachineName}-{Environment.ProcessId}-{Random.Shared.Next(0x1000, 0xFFFF):x4}";

    /// <summary>Attempts before a job fails, for kinds and jobs that set none. Default 10.</summary>
    public int DefaultMaxAttempts { get; set; } = 10;

    /// <summary>Back-off between attempts, for kinds that set none.</summary>
    public BackoffPolicy Backoff { get; set; } = BackoffPolicy.Default;

    /// <summary>Run workers in this process (false: enqueue and query only, as the CLI's enqueue does). Default true.</summary>
    public bool RunWorkers { get; set; } = true;

    /// <summary>Run the rescuer, promoter and pruner in this process. Default: same as <see cref="RunWorkers"/>.</summary>
    public bool? RunMaintenance { get; set; }

    /// <summary>Refuse enqueues of kinds with no handler in this process. Default false (another worker version may know the kind).</summary>
    public bool StrictKinds { get; set; }

    /// <summary>Create or upgrade the schema at start. Default true; false lets a DBA own the schema.</summary>
    public bool AutoMigrate { get; set; } = true;

    /// <summary>Largest accepted args JSON, in UTF-8 bytes. Default 1 MiB.</summary>
    public int MaxArgsBytes { get; set; } = 1024 * 1024;

    /// <summary>At most one progress write per job per interval; the last value always lands. Default 250 ms.</summary>
    public TimeSpan ProgressInterval { get; set; } = TimeSpan.FromMilliseconds(250);

    /// <summary>How long the completer gathers outcomes before one batched write. Default 2 ms.</summary>
    public TimeSpan CompleterWindow { get; set; } = TimeSpan.FromMilliseconds(2);

    /// <summary>Most outcomes in one batched write. Default 1000.</summary>
    public int CompleterBatchSize { get; set; } = 1000;

    /// <summary>How often expired leases are looked for. Default 5 s.</summary>
    public TimeSpan RescueInterval { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Completed jobs are deleted after this long. Default 7 days.</summary>
    public TimeSpan CompletedRetention { get; set; } = TimeSpan.FromDays(7);

    /// <summary>Failed and cancelled jobs are deleted after this long. Default 30 days.</summary>
    public TimeSpan FailedRetention { get; set; } = TimeSpan.FromDays(30);

    /// <summary>How often the pruner runs (in batches of <see cref="PruneBatchSize"/>). Default 1 min.</summary>
    public TimeSpan PruneInterval { get; set; } = TimeSpan.FromMinutes(1);

    public int PruneBatchSize { get; set; } = 1000;

    internal JobKindRegistry Kinds { get; } = new();

    internal Func<IServiceProvider, IConveyorStore>? StoreFactory { get; private set; }

    internal bool ShouldRunMaintenance => RunMaintenance ?? RunWorkers;

    /// <summary>Selects the store; store packages add <c>UseSqlite</c> and <c>UsePostgres</c> on top of this.</summary>
    public ConveyorOptions UseStore(Func<IServiceProvider, IConveyorStore> factory)
    {
        StoreFactory = factory;
        return this;
    }

    /// <summary>Registers a handler for a stable kind string (never a CLR name: renaming a class must not break queued jobs).</summary>
    public ConveyorOptions AddHandler<TArgs, THandler>(string kind, Action<JobKindOptions>? configure = null)
        where THandler : class, IJobHandler<TArgs>
    {
        var options = new JobKindOptions();
        configure?.Invoke(options);
        Kinds.Add<TArgs, THandler>(kind, options);
        return this;
    }

    /// <summary>Registers the built-in demo kinds: demo.sleep, demo.fail, demo.noop.</summary>
    public ConveyorOptions AddDemoHandlers()
    {
        AddHandler<Handlers.DemoSleepArgs, Handlers.DemoSleepHandler>("demo.sleep");
        AddHandler<Handlers.DemoFailArgs, Handlers.DemoFailHandler>("demo.fail");
        AddHandler<Handlers.DemoNoopArgs, Handlers.DemoNoopHandler>("demo.noop", k => k.MaxAttempts = 3);
        return this;
    }

    public IReadOnlyCollection<JobKindRegistration> RegisteredKinds => Kinds.All;

    /// <summary>Throws <see cref="ArgumentException"/> naming the first bad setting.</summary>
    public void Validate()
    {
        if (StoreFactory is null)
            throw new ArgumentException("No store configured: call UseSqlite(...) or UsePostgres(...).");
        if (Queues.Count == 0)
            throw new ArgumentException("At least one queue is needed.");
        foreach (var queue in Queues)
            JobValidation.ValidateQueue(queue);
        Positive(Concurrency, nameof(Concurrency));
        Positive(PollInterval, nameof(PollInterval));
        if (Lease < TimeSpan.FromMilliseconds(300))
            throw new ArgumentException($"Lease must be at least 300ms (got {Lease}).");
        if (HeartbeatInterval is { } beat && (beat <= TimeSpan.Zero || beat > Lease / 2))
            throw new ArgumentException($"HeartbeatInterval must be positive and at most half the lease (got {beat}, lease {Lease}).");
        if (ShutdownTimeout < TimeSpan.Zero)
            throw new ArgumentException("ShutdownTimeout must not be negative.");
        if (string.IsNullOrWhiteSpace(WorkerId) || WorkerId.Length > 200)
            throw new ArgumentException("WorkerId must be 1 to 200 characters.");
        Positive(DefaultMaxAttempts, nameof(DefaultMaxAttempts));
        Backoff.Validate();
        Positive(MaxArgsBytes, nameof(MaxArgsBytes));
        Positive(CompleterBatchSize, nameof(CompleterBatchSize));
        Positive(RescueInterval, nameof(RescueInterval));
        Positive(PruneInterval, nameof(PruneInterval));
        Positive(PruneBatchSize, nameof(PruneBatchSize));
        Positive(CompletedRetention, nameof(CompletedRetention));
        Positive(FailedRetention, nameof(FailedRetention));
        foreach (var kind in Kinds.All)
        {
            if (kind.Options.MaxAttempts is < 1)
                throw new ArgumentException($"Kind '{kind.Kind}': MaxAttempts must be at least 1.");
            if (kind.Options.Timeout is { } t && t <= TimeSpan.Zero)
                throw new ArgumentException($"Kind '{kind.Kind}': Timeout must be positive.");
            kind.Options.Backoff?.Validate();
            if (kind.Options.Queue is not null)
                JobValidation.ValidateQueue(kind.Options.Queue);
        }
    }

    private static void Positive(int value, string name)
    {
        if (value < 1) throw new ArgumentException($"{name} must be at least 1 (got {value}).");
    }

    private static void Positive(TimeSpan value, string name)
    {
        if (value <= TimeSpan.Zero) throw new ArgumentException($"{name} must be positive (got {value}).");
    }
}
