using System.Collections.Concurrent;
using System.Reflection;
using System.Text.Json;
using Conveyor.Execution;
using Conveyor.Maintenance;
using Conveyor.Scheduling;
using Conveyor.Storage;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace Conveyor.Testing;

/// <summary>
/// Conveyor for a user's own tests: the real client, store, serializer, executor and maintenance, on a clock the test
/// moves, with nothing running in the background. Jobs run when the test says (<see cref="DrainAsync"/>, or at each
/// enqueue in <see cref="TestMode.Inline"/>); <see cref="AdvanceAsync"/> moves time so that delays, retries' back-off,
/// lease expiry with rescue, and cron ticks happen at once. Each instance has its own store (a temporary SQLite file
/// unless the configuration chose one) and clock: no static state, so tests run in parallel. No test-framework
/// dependency: failed assertions throw <see cref="ConveyorAssertionException"/>.
/// </summary>
public sealed class TestConveyor : IAsyncDisposable
{
    private const string WorkerId = "test-worker";
    private static readonly TimeSpan LeaseSlack = TimeSpan.FromMilliseconds(1);

    private readonly ServiceProvider _services;
    private readonly FakeTimeProvider _clock;
    private readonly TestConveyorOptions _settings;
    private readonly string? _temporaryFile;
    private readonly ConveyorOptions _options;
    private readonly JobKindRegistry _kinds;
    private readonly IJobExecutionStore _store;
    private readonly Executor _executor;
    private readonly RunningJobs _running = new();
    private readonly PeriodicService[] _maintenance;
    private readonly ConcurrentDictionary<long, Job> _seen = new();
    private readonly AsyncLocal<bool> _draining = new();
    private readonly IReadOnlyList<string> _configuredQueues;

    private TestConveyor(ServiceProvider services, FakeTimeProvider clock, TestConveyorOptions settings, string? temporaryFile)
    {
        _services = services;
        _clock = clock;
        _settings = settings;
        _temporaryFile = temporaryFile;
        _options = services.GetRequiredService<IOptions<ConveyorOptions>>().Value;
        _configuredQueues = QueuePlan.Parse(_options.Queues).Names;
        _kinds = services.GetRequiredService<JobKindRegistry>();
        _store = services.GetRequiredService<IJobExecutionStore>();
        var loggers = services.GetRequiredService<ILoggerFactory>();
        var workerSettings = WorkerSettings.From(_options) with { WorkerId = WorkerId };
        var completer = new Completer(_store, workerSettings, clock, loggers.CreateLogger("Conveyor.Completer"));
        _executor = new Executor(services, _store, _kinds, services.GetRequiredService<RetryPolicy>(), workerSettings, _running, completer, clock, loggers);
        var hosted = services.GetServices<IHostedService>().ToList();
        // Promote due delays and retries, rescue expired leases, fire due schedule ticks: what the background services
        // would have done by now. (The pruner and the counts folder change nothing a test looks at.)
        _maintenance = [.. hosted.OfType<ScheduledPromoter>(), .. hosted.OfType<Rescuer>(), .. hosted.OfType<Scheduler>()];
    }

    /// <summary>
    /// Starts a kit: <paramref name="configure"/> registers the handlers (and may choose a store; by default a temporary
    /// SQLite file, deleted on dispose), <paramref name="services"/> adds the handlers' own services.
    /// </summary>
    public static async Task<TestConveyor> StartAsync(Action<ConveyorOptions> configure, Action<IServiceCollection>? services = null, Action<TestConveyorOptions>? settings = null, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(configure);
        var kitSettings = new TestConveyorOptions();
        settings?.Invoke(kitSettings);
        if (kitSettings.MaxAttemptsPerDrain < 1)
            throw new ArgumentOutOfRangeException(nameof(settings), "MaxAttemptsPerDrain must be at least 1.");
        var clock = new FakeTimeProvider(kitSettings.Start);
        string? temporary = null;
        var collection = new ServiceCollection();
        collection.AddSingleton<TimeProvider>(clock);
        collection.TryAddSingleton<ILoggerFactory>(NullLoggerFactory.Instance);
        collection.TryAdd(ServiceDescriptor.Singleton(typeof(ILogger<>), typeof(Logger<>)));
        services?.Invoke(collection);
        TestConveyor? kit = null;
        collection.AddConveyor(o =>
        {
            configure(o);
            if (!o.HasStore)
            {
                temporary = Path.Combine(Path.GetTempPath(), $"conveyor-test-{Guid.NewGuid():N}.db");
                o.UseSqlite(temporary);
            }
            o.WorkerId = WorkerId;
            // Nothing runs by itself: the kit runs jobs and maintenance when the test says.
            o.RunWorkers = false;
            o.RunMaintenance = false;
        });
        collection.Replace(ServiceDescriptor.Singleton<IJobClient>(sp => new TestJobClient(ActivatorUtilities.CreateInstance<JobClient>(sp), kit!)));
        var provider = collection.BuildServiceProvider();
        try
        {
            kit = new TestConveyor(provider, clock, kitSettings, temporary);
            await provider.GetRequiredService<StoreReadiness>().EnsureReadyAsync(ct);
            await kit.StepAsync(ct);
            return kit;
        }
        catch
        {
            await provider.DisposeAsync();
            DeleteFile(temporary);
            throw;
        }
    }

    /// <summary>The client: enqueue (in inline mode, the job runs before this returns), get, list, cancel, retry.</summary>
    public IJobClient Client => _services.GetRequiredService<IJobClient>();

    /// <summary>Schedules: create, pause, list; their ticks fire as <see cref="AdvanceAsync"/> passes them.</summary>
    public IScheduleClient Schedules => _services.GetRequiredService<IScheduleClient>();

    /// <summary>The kit's services (the handlers' own included).</summary>
    public IServiceProvider Services => _services;

    /// <summary>The clock every part of the kit reads (also registered as the <see cref="TimeProvider"/> service).</summary>
    public TimeProvider Time => _clock;

    /// <summary>Now, on the kit's clock.</summary>
    public DateTimeOffset Now => _clock.GetUtcNow();

    /// <summary>
    /// Runs every job that is ready, one attempt at a time in priority order, until nothing is ready, including jobs that
    /// jobs enqueue, dependents their completion released and batch callbacks. Time does not move: a retry waits for
    /// <see cref="AdvanceAsync"/>.
    /// </summary>
    public async Task<DrainResult> DrainAsync(CancellationToken ct = default)
    {
        var ids = new List<long>();
        var completed = 0;
        JobAttemptFailedException? firstFailure = null;
        var failures = 0;
        var outer = _draining.Value;
        _draining.Value = true;
        try
        {
            while (true)
            {
                ct.ThrowIfCancellationRequested();
                if (ids.Count >= _settings.MaxAttemptsPerDrain)
                    throw new InvalidOperationException($"Drain ran {ids.Count} attempts and jobs are still ready (a job that enqueues or snoozes itself forever?); raise TestConveyorOptions.MaxAttemptsPerDrain if that is expected.");
                var claimed = await _store.JobClaimAsync(new JobClaimParams(WorkerId, await QueuesAsync(ct), 1, _options.Lease), ct);
                if (claimed.Count == 0)
                    break;
                var job = claimed[0];
                _running.Reserve(1); // the executor tracks the attempt in a reserved slot and frees it
                var (outcome, exception) = await _executor.AttemptAsync(job, o => _store.JobApplyOutcomesAsync(new JobApplyOutcomesParams([o]), ct));
                ids.Add(job.Id);
                if (outcome.State == JobState.Completed)
                    completed++;
                if (IsFailure(outcome))
                {
                    failures++;
                    firstFailure ??= new JobAttemptFailedException(job.Id, job.Kind, job.Attempt, outcome.Error!.Type, outcome.Error.Message, exception);
                }
            }
        }
        finally
        {
            _draining.Value = outer;
        }
        await NoteNewJobsAsync(ct);
        if (firstFailure is not null && _settings.ThrowOnFailure)
        {
            if (failures > 1)
                throw new JobAttemptFailedException(firstFailure.JobId, firstFailure.Kind, firstFailure.Attempt, firstFailure.ErrorType,
                    $"{firstFailure.InnerException?.Message ?? firstFailure.Message} (and {failures - 1} more failed attempts in this drain)", firstFailure.InnerException);
            throw firstFailure;
        }
        return new DrainResult(ids.Count, completed, ids.Count - completed, ids);
    }

    /// <summary>
    /// Moves the clock forward by <paramref name="by"/>, stopping at each moment something falls due on the way (a delayed
    /// or retried job's time, an expired lease, a schedule's tick) to do what the background services would have done then:
    /// promote, rescue, fire the tick, and in inline mode run what became ready. In manual mode, run jobs with <see cref="DrainAsync"/>.
    /// </summary>
    public async Task AdvanceAsync(TimeSpan by, CancellationToken ct = default)
    {
        if (by < TimeSpan.Zero)
            throw new ArgumentOutOfRangeException(nameof(by), by, "Time only moves forward.");
        var target = Now + by;
        await StepAsync(ct);
        for (var stops = 0; await NextEventAsync(ct) is { } next && next <= target; stops++)
        {
            if (stops >= 100_000)
                throw new InvalidOperationException($"More than 100,000 moments fell due before {target:o}; advance by less at a time.");
            _clock.SetUtcNow(next);
            await StepAsync(ct);
        }
        _clock.SetUtcNow(target);
        await StepAsync(ct);
    }

    /// <summary>Every job of <typeparamref name="TArgs"/>'s kinds the kit has seen (any state), oldest first, args read back as a handler gets them.</summary>
    public IReadOnlyList<EnqueuedJob<TArgs>> Enqueued<TArgs>()
    {
        var kinds = _kinds.All.Where(r => r.ArgsType == typeof(TArgs)).Select(r => r.Kind).ToHashSet(StringComparer.Ordinal);
        if (kinds.Count == 0)
            throw new InvalidOperationException($"No kind is registered for {typeof(TArgs).FullName}.");
        return [.. _seen.Values.Where(j => kinds.Contains(j.Kind)).OrderBy(j => j.Id)
            .Select(j => new EnqueuedJob<TArgs>(j.Id, j.Kind, j.Queue, j.Args.Deserialize<TArgs>(ConveyorJson.Options)!, j))];
    }

    /// <summary>The one job of <typeparamref name="TArgs"/> matching <paramref name="predicate"/> (any, when null); throws when there is none.</summary>
    public EnqueuedJob<TArgs> AssertEnqueued<TArgs>(Func<TArgs, bool>? predicate = null)
    {
        var all = Enqueued<TArgs>();
        var match = all.Where(j => predicate?.Invoke(j.Args) ?? true).ToList();
        return match.Count switch
        {
            1 => match[0],
            0 => throw new ConveyorAssertionException($"Expected a {typeof(TArgs).Name} job{(predicate is null ? "" : " matching the predicate")}; {Describe(all)}."),
            _ => throw new ConveyorAssertionException($"Expected one {typeof(TArgs).Name} job{(predicate is null ? "" : " matching the predicate")}, found {match.Count}: ids {string.Join(", ", match.Select(j => j.Id))}."),
        };
    }

    /// <summary>Throws when a job of <typeparamref name="TArgs"/> matching <paramref name="predicate"/> (any, when null) was enqueued.</summary>
    public void AssertNotEnqueued<TArgs>(Func<TArgs, bool>? predicate = null)
    {
        var match = Enqueued<TArgs>().Where(j => predicate?.Invoke(j.Args) ?? true).ToList();
        if (match.Count > 0)
            throw new ConveyorAssertionException($"Expected no {typeof(TArgs).Name} job{(predicate is null ? "" : " matching the predicate")}, found {match.Count}: {string.Join("; ", match.Select(j => $"{j.Id} {JsonSerializer.Serialize(j.Job.Args)}"))}.");
    }

    /// <summary>
    /// Runs one handler once, outside any store, with a real <see cref="JobContext{TArgs}"/>: <paramref name="args"/> go
    /// through the real serializer first, the handler comes from the kit's services (or is created with them), and every
    /// progress report is recorded. The handler's exception, if any, is returned, not thrown. Jobs the handler enqueues
    /// through the kit's client follow the mode: stored in manual mode, run at once in inline mode.
    /// </summary>
    public Task<JobRun> RunJobAsync<THandler>(object args, int attempt = 1, CancellationToken ct = default) where THandler : class
    {
        ArgumentNullException.ThrowIfNull(args);
        var handlerInterfaces = typeof(THandler).GetInterfaces().Where(i => i.IsGenericType && i.GetGenericTypeDefinition() == typeof(IJobHandler<>)).ToList();
        if (handlerInterfaces.Count != 1)
            throw new ArgumentException($"{typeof(THandler).Name} must implement IJobHandler<TArgs> exactly once.", nameof(THandler));
        var argsType = handlerInterfaces[0].GetGenericArguments()[0];
        var json = JsonSerializer.Serialize(args, args.GetType(), ConveyorJson.Options);
        var run = typeof(TestConveyor).GetMethod(nameof(RunTypedAsync), BindingFlags.NonPublic | BindingFlags.Instance)!.MakeGenericMethod(typeof(THandler), argsType);
        return (Task<JobRun>)run.Invoke(this, [json, attempt, ct])!;
    }

    private async Task<JobRun> RunTypedAsync<THandler, TArgs>(string json, int attempt, CancellationToken ct) where THandler : class, IJobHandler<TArgs>
    {
        var args = JsonSerializer.Deserialize<TArgs>(json, ConveyorJson.Options)!;
        var registration = _kinds.All.FirstOrDefault(r => r.HandlerType == typeof(THandler));
        var kind = registration?.Kind ?? typeof(THandler).Name;
        var info = new JobAttemptInfo(0, kind, registration?.Options.Queue ?? "default", attempt, registration?.Options.MaxAttempts ?? _options.DefaultMaxAttempts, Now, null, WorkerId);
        var progress = new RecordingProgress();
        await using var scope = _services.CreateAsyncScope();
        var logger = scope.ServiceProvider.GetRequiredService<ILoggerFactory>().CreateLogger($"Conveyor.Jobs.{kind}");
        try
        {
            var handler = ActivatorUtilities.GetServiceOrCreateInstance<THandler>(scope.ServiceProvider);
            var context = new JobContext<TArgs>(args, info, logger, progress, (_, _) => Task.FromResult<IReadOnlyList<DependencyResult>>([]), ct);
            var result = await handler.HandleAsync(context, ct);
            var resultJson = result.Kind == JobResultKind.Completed && result.Value is { } value ? JsonSerializer.Serialize(value, value.GetType(), ConveyorJson.Options) : null;
            return new JobRun(result, resultJson, null, progress.Reports);
        }
        catch (Exception ex)
        {
            return new JobRun(null, null, ex, progress.Reports);
        }
    }

    /// <summary>Deletes the temporary store.</summary>
    public async ValueTask DisposeAsync()
    {
        await _services.GetRequiredService<IJobNotifier>().StopAsync(CancellationToken.None);
        await _services.DisposeAsync();
        DeleteFile(_temporaryFile);
    }

    internal async Task<T> AfterEnqueueAsync<T>(T result, CancellationToken ct)
    {
        await RunOrNoteAsync(ct);
        return result;
    }

    /// <summary>Inline mode runs what is ready now (unless a drain is already under way); either way, new jobs are noted.</summary>
    private async Task RunOrNoteAsync(CancellationToken ct)
    {
        if (_settings.Mode == TestMode.Inline && !_draining.Value)
            await DrainAsync(ct);
        else
            await NoteNewJobsAsync(ct);
    }

    private static bool IsFailure(AttemptOutcome outcome) =>
        outcome.Error is { } error && error.Type != "Retry" && outcome.Reason is OutcomeReason.Retried or OutcomeReason.Failed or OutcomeReason.TimedOut;

    private async Task StepAsync(CancellationToken ct)
    {
        foreach (var service in _maintenance)
            await service.StepAsync(ct);
        await RunOrNoteAsync(ct);
    }

    /// <summary>The queues a drain claims from: the configured ones, the kinds' own, and any that holds a job.</summary>
    private async Task<IReadOnlyList<string>> QueuesAsync(CancellationToken ct)
    {
        var queues = new HashSet<string>(_configuredQueues, StringComparer.Ordinal);
        foreach (var registration in _kinds.All)
            queues.Add(registration.Options.Queue ?? "default");
        foreach (var stats in await Client.QueuesAsync(ct))
            queues.Add(stats.Queue);
        return [.. queues];
    }

    /// <summary>The next moment after now when something falls due: a delayed or retried job, a lease, a schedule's tick.</summary>
    private async Task<DateTimeOffset?> NextEventAsync(CancellationToken ct)
    {
        var now = Now;
        DateTimeOffset? next = null;
        void Consider(DateTimeOffset? at)
        {
            if (at is { } t && t > now && (next is null || t < next))
                next = t;
        }
        await foreach (var job in AllAsync(JobState.Scheduled, ct))
            Consider(job.RunAt);
        await foreach (var job in AllAsync(JobState.Running, ct))
            Consider(job.LeaseUntil + LeaseSlack);
        foreach (var schedule in await Schedules.ListAsync(ct))
        {
            if (schedule.Definition.Enabled)
                Consider(schedule.NextRunAt);
        }
        return next;
    }

    /// <summary>Jobs (of one state, or all), newest first, a page at a time.</summary>
    private async IAsyncEnumerable<Job> AllAsync(JobState? state, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken ct)
    {
        long? after = null;
        while (true)
        {
            var page = await Client.ListAsync(new JobQuery { State = state, Limit = 500, AfterId = after }, ct);
            foreach (var job in page)
                yield return job;
            if (page.Count < 500)
                yield break;
            after = page[^1].Id;
        }
    }

    /// <summary>Notes the jobs created since the last look (newest first, down to the newest already seen).</summary>
    private async Task NoteNewJobsAsync(CancellationToken ct)
    {
        var known = _seen.IsEmpty ? 0 : _seen.Keys.Max();
        await foreach (var job in AllAsync(null, ct))
        {
            if (job.Id <= known)
                break;
            _seen.TryAdd(job.Id, job);
        }
    }

    private static string Describe<TArgs>(IReadOnlyList<EnqueuedJob<TArgs>> all) =>
        all.Count == 0 ? "none was enqueued" : $"the {all.Count} enqueued were: {string.Join("; ", all.Take(10).Select(j => $"{j.Id} {JsonSerializer.Serialize(j.Job.Args)}"))}";

    private static void DeleteFile(string? path)
    {
        if (path is null)
            return;
        foreach (var file in new[] { path, path + "-wal", path + "-shm" })
        {
            try
            {
                File.Delete(file);
            }
            catch (IOException)
            {
            }
        }
    }

    private sealed class RecordingProgress : IProgressSink
    {
        private readonly List<JobProgress> _reports = [];

        public IReadOnlyList<JobProgress> Reports
        {
            get { lock (_reports) return [.. _reports]; }
        }

        public ValueTask ReportAsync(JobProgress progress)
        {
            lock (_reports) _reports.Add(progress);
            return ValueTask.CompletedTask;
        }
    }
}
