using Conveyor.Storage;
using Microsoft.Extensions.Logging;

namespace Conveyor.Execution;

/// <summary>
/// Heartbeats: extends the leases of all of this process's running and claimed-ahead attempts in one statement, and cancels
/// those a user asked to cancel (on SQLite across processes this is how a cancel reaches the handler) or that this worker
/// lost. Every <see cref="WorkerSettings.HeartbeatInterval"/> (default Lease/3, at most 1 s).
/// </summary>
internal sealed class LeaseKeeper(IJobExecutionStore store, WorkerSettings settings, RunningJobs running, ClaimBuffer buffer, Completer completer, TimeProvider time, ILogger logger)
{
    public async Task BeatAsync(CancellationToken ct)
    {
        var leases = running.Leases();
        var ahead = buffer.Leases();
        if (ahead.Count > 0)
            leases = [.. leases, .. ahead];
        if (leases.Count == 0)
            return;
        var result = await store.JobHeartbeatAsync(new JobHeartbeatParams(settings.WorkerId, leases, settings.Lease), ct);
        foreach (var lease in result.CancelRequested)
        {
            if (await CancelBufferedAsync(lease))
                continue;
            if (running.TryGet(lease, out var job) && job.Reason == CancelReason.None)
            {
                logger.LogInformation("Job {JobId}: cancellation requested; cancelling its handler", lease.Id);
                job.Cancel(CancelReason.Requested);
            }
        }
        foreach (var lease in result.Lost)
        {
            if (buffer.TryRemove(lease, out _))
            {
                logger.LogWarning("Job {JobId} attempt {Attempt}: this worker no longer holds it (lease expired and rescued); dropped before it started", lease.Id, lease.Attempt);
                continue;
            }
            if (running.TryGet(lease, out var job) && job.Reason == CancelReason.None)
            {
                logger.LogWarning("Job {JobId} attempt {Attempt}: this worker no longer holds it (lease expired and rescued); cancelling its handler", lease.Id, lease.Attempt);
                job.Cancel(CancelReason.Lost);
            }
        }
    }

    /// <summary>A job claimed ahead whose cancellation was requested: never started, it ends cancelled without running.</summary>
    public async Task<bool> CancelBufferedAsync(JobLease lease)
    {
        if (!buffer.TryRemove(lease, out var job))
            return false;
        logger.LogInformation("Job {JobId}: cancellation requested before it started; cancelled", lease.Id);
        var error = new JobError(time.GetUtcNow(), job.Attempt, "Cancelled", "Cancellation was requested before the job started.");
        await completer.TryAddAsync(AttemptOutcome.Cancelled(lease, settings.WorkerId, error) with { Kind = job.Kind });
        return true;
    }
}

/// <summary>This process's row in the workers table: written at start, refreshed with the heartbeat, removed on clean exit.</summary>
internal sealed class WorkerPresence(IWorkerRegistry registry, WorkerSettings settings, RunningJobs running, TimeProvider time)
{
    private long _lastWritten = long.MinValue;

    public bool IsDue => _lastWritten == long.MinValue || time.GetElapsedTime(_lastWritten) >= settings.RegistrationInterval;

    public async Task WriteAsync(CancellationToken ct)
    {
        _lastWritten = time.GetTimestamp();
        await registry.WorkerUpsertAsync(new WorkerUpsertParams(settings.WorkerId, Environment.MachineName, Environment.ProcessId,
            settings.Queues, settings.Concurrency, running.Count, Kinds: settings.Kinds), ct);
    }

    public Task RemoveAsync(CancellationToken ct) => registry.WorkerRemoveAsync(new WorkerRemoveParams(settings.WorkerId), ct);
}
