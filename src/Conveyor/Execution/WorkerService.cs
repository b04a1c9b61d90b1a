using Conveyor.Storage;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Conveyor.Execution;

/// <summary>
/// The worker: producer, executor, completer, lease keeper and presence in one hosted service (idle when
/// <see cref="ConveyorOptions.RunWorkers"/> is false). On stop it claims no more, lets running jobs finish for
/// the shutdown timeout, then cancels them and hands what is still unfinished back to queued without charging an attempt.
/// </summary>
internal sealed class WorkerService : IHostedService
{
    private static readonly TimeSpan CancelGrace = TimeSpan.FromSeconds(5);

    private readonly bool _enabled;
    private readonly IJobExecutionStore _store;
    private readonly IJobNotifier _notifier;
    private readonly StoreReadiness _readiness;
    private readonly WorkerSettings _settings;
    private readonly TimeProvider _time;
    private readonly ILogger<WorkerService> _logger;
    private readonly Completer _completer;
    private readonly Producer _producer;
    private readonly ClaimBuffer _buffer;
    private readonly LeaseKeeper _leaseKeeper;
    private readonly WorkerPresence _presence;
    private readonly CancellationTokenSource _stopClaiming = new();
    private readonly CancellationTokenSource _stopHeartbeats = new();
    private readonly List<IDisposable> _subscriptions = [];
    private readonly Telemetry.ConveyorMetrics? _metrics;
    private IDisposable? _gauges;
    private Task _producerLoop = Task.CompletedTask;
    private Task _heartbeatLoop = Task.CompletedTask;

    public WorkerService(
        IServiceProvider services,
        IJobExecutionStore store,
        IWorkerRegistry registry,
        IJobNotifier notifier,
        StoreReadiness readiness,
        JobKindRegistry kinds,
        RetryPolicy retries,
        IOptions<ConveyorOptions> options,
        TimeProvider time,
        ILoggerFactory loggerFactory,
        Telemetry.ConveyorMetrics? metrics = null,
        Telemetry.ConveyorTracing? tracing = null)
    {
        _enabled = options.Value.RunWorkers;
        _metrics = metrics;
        _store = store;
        _notifier = notifier;
        _readiness = readiness;
        _settings = WorkerSettings.From(options.Value);
        _time = time;
        _logger = loggerFactory.CreateLogger<WorkerService>();
        // Ended jobs free places of queue limits once their outcomes are written: a producer whose last claim came back short
        // looks again then.
        _completer = new Completer(store, _settings, time, loggerFactory.CreateLogger("Conveyor.Completer"), metrics, () => _producer?.WorkAvailable.Set());
        var executor = new Executor(services, store, kinds, retries, _settings, Running, _completer, time, loggerFactory, metrics, tracing);
        _buffer = new ClaimBuffer(_settings.ClaimAhead, time);
        _producer = new Producer(store, _settings, Running, _buffer, executor, time, loggerFactory.CreateLogger("Conveyor.Producer"));
        _leaseKeeper = new LeaseKeeper(store, _settings, Running, _buffer, _completer, time, loggerFactory.CreateLogger("Conveyor.LeaseKeeper"));
        _presence = new WorkerPresence(registry, _settings, Running, time);
    }

    /// <summary>The attempts running in this process.</summary>
    public RunningJobs Running { get; } = new();

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        if (!_enabled)
            return;
        await _readiness.EnsureReadyAsync(cancellationToken);
        var queues = _settings.Queues.ToHashSet(StringComparer.Ordinal);
        _subscriptions.Add(_notifier.Listen(NotifierTopics.JobsReady, queue =>
        {
            if (queue == "*" || queues.Contains(queue))
                _producer.WorkAvailable.Set();
        }));
        _subscriptions.Add(_notifier.Listen(NotifierTopics.Control, OnControl));
        await _presence.WriteAsync(cancellationToken);
        _gauges = _metrics?.TrackWorker(_settings.WorkerId, () => Running.Count, _settings.Concurrency);
        _completer.Start();
        _heartbeatLoop = Task.Run(() => HeartbeatLoopAsync(_stopHeartbeats.Token), CancellationToken.None);
        _producerLoop = Task.Run(() => _producer.RunAsync(_stopClaiming.Token), CancellationToken.None);
        _logger.LogInformation("Worker {WorkerId} started: queues {Queues}, concurrency {Concurrency}, lease {Lease}, poll interval {PollInterval}",
            _settings.WorkerId, string.Join(",", _settings.Queues), _settings.Concurrency, _settings.Lease, _settings.PollInterval);
    }

    private void OnControl(string payload)
    {
        if (ControlMessage.TryParse(payload) is not { Action: ControlMessage.Cancel, JobId: { } id })
            return;
        foreach (var job in Running.OfJob(id))
        {
            _logger.LogInformation("Job {JobId}: cancellation requested; cancelling its handler", id);
            job.Cancel(CancelReason.Requested);
        }
        foreach (var lease in _buffer.OfJob(id))
            _ = _leaseKeeper.CancelBufferedAsync(lease);
    }

    private async Task HeartbeatLoopAsync(CancellationToken stopping)
    {
        while (!stopping.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(_settings.HeartbeatInterval, _time, stopping);
                await _leaseKeeper.BeatAsync(stopping);
                if (_presence.IsDue)
                    await _presence.WriteAsync(stopping);
            }
            catch (OperationCanceledException) when (stopping.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                _logger.LogWarning(ex, "Heartbeat failed; leases expire {Lease} after the last good one", _settings.Lease);
            }
        }
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        if (!_enabled)
            return;
        foreach (var subscription in _subscriptions)
            subscription.Dispose();
        await _stopClaiming.CancelAsync();
        await _producerLoop;
        // Claimed ahead, never started: back to queued at once, without charging an attempt.
        var buffered = _buffer.TakeAll();
        if (buffered.Count > 0)
            await HandBackAsync([.. buffered.Select(j => AttemptOutcome.HandedBack(j.Lease, _settings.WorkerId) with { Kind = j.Kind })], "claimed ahead and not started", LogLevel.Information);

        var running = Running.Count;
        if (running > 0)
        {
            _logger.LogInformation("Worker {WorkerId} stopping: waiting up to {Timeout} for {Count} running jobs", _settings.WorkerId, _settings.ShutdownTimeout, running);
            await WaitForRunningAsync(_settings.ShutdownTimeout, cancellationToken);
        }

        var unfinished = Running.Snapshot();
        if (unfinished.Count > 0)
        {
            _logger.LogWarning("Worker {WorkerId}: cancelling {Count} jobs still running after the shutdown timeout; they go back to queued", _settings.WorkerId, unfinished.Count);
            foreach (var job in unfinished)
                job.Cancel(CancelReason.Shutdown);
            await WaitForRunningAsync(CancelGrace, CancellationToken.None);
        }

        // Handlers that ignore their token: hand their jobs back now; their late outcomes are dropped.
        var stuck = Running.Snapshot();
        if (stuck.Count > 0)
            await HandBackAsync([.. stuck.Select(j => AttemptOutcome.HandedBack(j.Job.Lease, _settings.WorkerId) with { Progress = j.Progress.Latest, Kind = j.Job.Kind })], "whose handlers ignored cancellation", LogLevel.Warning);

        await _completer.StopAsync();
        _gauges?.Dispose();
        await _stopHeartbeats.CancelAsync();
        await _heartbeatLoop;
        try
        {
            await _presence.RemoveAsync(CancellationToken.None);
        }
        catch (Exception ex)
        {
            _logger.LogWarning(ex, "Removing the workers record of {WorkerId} failed; it ages out", _settings.WorkerId);
        }
        _logger.LogInformation("Worker {WorkerId} stopped: {Written} outcomes written, {Rejected} rejected, {HandedBack} jobs handed back",
            _settings.WorkerId, _completer.Written, _completer.Rejected, stuck.Count + unfinished.Count + buffered.Count);
    }

    private async Task WaitForRunningAsync(TimeSpan limit, CancellationToken ct)
    {
        var started = _time.GetTimestamp();
        while (Running.Count > 0 && _time.GetElapsedTime(started) < limit && !ct.IsCancellationRequested)
        {
            Running.SlotFreed.Reset();
            if (Running.Count == 0)
                break;
            var left = limit - _time.GetElapsedTime(started);
            try
            {
                await Running.SlotFreed.WaitAsync(left < TimeSpan.Zero ? TimeSpan.Zero : left, _time, ct);
            }
            catch (OperationCanceledException)
            {
                break;
            }
        }
    }

    private async Task HandBackAsync(IReadOnlyList<AttemptOutcome> outcomes, string which, LogLevel level)
    {
        // Tried three times, as the completer tries its writes: a failed hand-back leaves the job to the rescuer (a lease later).
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                var applied = await _store.JobApplyOutcomesAsync(new JobApplyOutcomesParams(outcomes), CancellationToken.None);
                _metrics?.Applied(outcomes, applied);
                _logger.Log(level, "Worker {WorkerId}: handed back {Count} jobs {Which}", _settings.WorkerId, outcomes.Count, which);
                return;
            }
            catch (Exception ex) when (attempt < 3)
            {
                _logger.LogWarning(ex, "Handing back {Count} jobs failed; trying again", outcomes.Count);
                await Task.Delay(TimeSpan.FromMilliseconds(100 * attempt), _time);
            }
            catch (Exception ex)
            {
                _logger.LogError(ex, "Handing back {Count} jobs failed; they will be rescued when their leases expire", outcomes.Count);
                return;
            }
        }
    }
}
