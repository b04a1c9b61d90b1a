using Conveyor.Storage;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Conveyor.Execution;

/// <summary>
/// The worker: producer, executor, completer and lease keeper in one hosted service. On stop it claims no
/// more, lets running jobs finish for <see cref="ConveyorOptions.ShutdownTimeout"/>, then cancels them and
/// hands what is still unfinished back to queued without charging an attempt.
/// </summary>
internal sealed class WorkerService : IHostedService
{
    private static readonly TimeSpan CancelGrace = TimeSpan.FromSeconds(5);

    private readonly IConveyorStore _store;
    private readonly StoreReadiness _readiness;
    private readonly ConveyorOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger<WorkerService> _logger;
    private readonly RunningJobs _running = new();
    private readonly Completer _completer;
    private readonly Producer _producer;
    private readonly LeaseKeeper _leaseKeeper;
    private readonly CancellationTokenSource _stopClaiming = new();
    private readonly CancellationTokenSource _stopHeartbeats = new();
    private IDisposable? _subscription;
    private IDisposable? _cancelSubscription;
    private Task _producerLoop = Task.CompletedTask;
    private Task _heartbeatLoop = Task.CompletedTask;

    public WorkerService(
        IServiceProvider services,
        IConveyorStore store,
        StoreReadiness readiness,
        JobKindRegistry kinds,
        ConveyorOptions options,
        TimeProvider time,
        ILoggerFactory loggerFactory)
    {
        _store = store;
        _readiness = readiness;
        _options = options;
        _time = time;
        _logger = loggerFactory.CreateLogger<WorkerService>();
        _completer = new Completer(store, options, time, loggerFactory.CreateLogger("Conveyor.Completer"));
        var executor = new Executor(services, store, kinds, options, _running, _completer, time, loggerFactory);
        _producer = new Producer(store, options, _running, executor, time, loggerFactory.CreateLogger("Conveyor.Producer"));
        _leaseKeeper = new LeaseKeeper(store, options, _running, time, loggerFactory.CreateLogger("Conveyor.LeaseKeeper"));
    }

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        await _readiness.EnsureReadyAsync(cancellationToken);
        var queues = _options.Queues.ToHashSet(StringComparer.Ordinal);
        _subscription = _store.Notifier.Subscribe(queue =>
        {
            if (queue == "*" || queues.Contains(queue))
                _producer.WorkAvailable.Set();
        });
        _cancelSubscription = _store.Notifier.SubscribeCancellations(id =>
        {
            if (_running.TryGet(id, out var job))
            {
                _logger.LogInformation("Job {JobId}: cancellation requested; cancelling its handler", id);
                job.Cancel(CancelReason.Requested);
            }
        });
        await _leaseKeeper.RegisterAsync(cancellationToken);
        _completer.Start();
        _heartbeatLoop = Task.Run(() => _leaseKeeper.RunAsync(_stopHeartbeats.Token), CancellationToken.None);
        _producerLoop = Task.Run(() => _producer.RunAsync(_stopClaiming.Token), CancellationToken.None);
        _logger.LogInformation("Worker {WorkerId} started: queues {Queues}, concurrency {Concurrency}, lease {Lease}, poll interval {PollInterval}",
            _options.WorkerId, string.Join(",", _options.Queues), _options.Concurrency, _options.Lease, _options.PollInterval);
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        _subscription?.Dispose();
        _cancelSubscription?.Dispose();
        await _stopClaiming.CancelAsync();
        await _producerLoop;

        var running = _running.Count;
        if (running > 0)
        {
            _logger.LogInformation("Worker {WorkerId} stopping: waiting up to {Timeout} for {Count} running jobs", _options.WorkerId, _options.ShutdownTimeout, running);
            await WaitForRunningAsync(_options.ShutdownTimeout, cancellationToken);
        }

        var unfinished = _running.Snapshot();
        if (unfinished.Count > 0)
        {
            _logger.LogWarning("Worker {WorkerId}: cancelling {Count} jobs still running after the shutdown timeout; they go back to queued", _options.WorkerId, unfinished.Count);
            foreach (var job in unfinished)
                job.Cancel(CancelReason.Shutdown);
            await WaitForRunningAsync(CancelGrace, CancellationToken.None);
        }

        // Handlers that ignore their token: hand their jobs back now; their late outcomes are fenced out.
        var stuck = _running.Snapshot();
        if (stuck.Count > 0)
            await HandBackAsync(stuck);

        await _completer.StopAsync();
        await _stopHeartbeats.CancelAsync();
        await _heartbeatLoop;
        try
        {
            await _store.WorkerRemoveAsync(_options.WorkerId, CancellationToken.None);
        }
        catch (Exception ex)
        {
            _logger.LogWarning(ex, "Removing the workers record of {WorkerId} failed; it ages out", _options.WorkerId);
        }
        _logger.LogInformation("Worker {WorkerId} stopped: {Written} outcomes written, {Rejected} rejected, {HandedBack} jobs handed back",
            _options.WorkerId, _completer.Written, _completer.Rejected, stuck.Count + unfinished.Count);
    }

    private async Task WaitForRunningAsync(TimeSpan limit, CancellationToken ct)
    {
        var deadline = _time.GetTimestamp();
        while (_running.Count > 0 && _time.GetElapsedTime(deadline) < limit && !ct.IsCancellationRequested)
        {
            _running.SlotFreed.Reset();
            if (_running.Count == 0)
                break;
            try
            {
                await _running.SlotFreed.WaitAsync(TimeSpan.FromMilliseconds(100), _time, ct);
            }
            catch (OperationCanceledException)
            {
                break;
            }
        }
    }

    private async Task HandBackAsync(IReadOnlyList<RunningJob> jobs)
    {
        var now = _time.GetUtcNow();
        var finishes = jobs.Select(j => new JobFinish(j.Job.Id, j.Job.Attempt, _options.WorkerId, JobState.Queued, now, RunAt: now, RefundAttempt: true, Progress: j.Progress.Latest)).ToList();
        try
        {
            await _store.JobFinishManyAsync(new JobFinishManyParams(finishes), CancellationToken.None);
            _logger.LogWarning("Worker {WorkerId}: handed back {Count} jobs whose handlers ignored cancellation", _options.WorkerId, finishes.Count);
        }
        catch (Exception ex)
        {
            _logger.LogError(ex, "Handing back {Count} jobs failed; they will be rescued when their leases expire", finishes.Count);
        }
    }
}
