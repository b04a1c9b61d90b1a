using Conveyor.Storage;
using Microsoft.Extensions.Logging;

namespace Conveyor.Execution;

/// <summary>
/// Heartbeats: extends the leases of all of this process's running jobs in one statement, and cancels the
/// ones a user asked to cancel (on SQLite this is how a cancel reaches the handler) or that this worker lost.
/// Runs every <see cref="ConveyorOptions.HeartbeatInterval"/> (default Lease/3, at most 1 s).
/// </summary>
internal sealed class LeaseKeeper(IConveyorStore store, ConveyorOptions options, RunningJobs running, TimeProvider time, ILogger logger)
{
    private readonly DateTimeOffset _startedAt = time.GetUtcNow();
    private long _lastRegistered = long.MinValue;

    public TimeSpan Interval { get; } = options.EffectiveHeartbeatInterval;

    /// <summary>How often the workers record is refreshed: every Lease/3, at most every 5 s.</summary>
    private TimeSpan RegistrationInterval { get; } = TimeSpan.FromTicks(Math.Min(options.Lease.Ticks / 3, TimeSpan.FromSeconds(5).Ticks));

    /// <summary>Writes this process's workers record (id, host, pid, queues, concurrency, started, last seen).</summary>
    public async Task RegisterAsync(CancellationToken ct)
    {
        _lastRegistered = time.GetTimestamp();
        await store.WorkerUpsertAsync(new WorkerRecord(options.WorkerId, Environment.MachineName, Environment.ProcessId, options.Queues,
            options.Concurrency, _startedAt, time.GetUtcNow(), running.Count), ct);
    }

    public async Task RunAsync(CancellationToken stopping)
    {
        while (!stopping.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(Interval, time, stopping);
                await BeatAsync(stopping);
                if (time.GetElapsedTime(_lastRegistered) >= RegistrationInterval)
                    await RegisterAsync(stopping);
            }
            catch (OperationCanceledException) when (stopping.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                logger.LogWarning(ex, "Heartbeat failed; leases expire {Lease} after the last good one", options.Lease);
            }
        }
    }

    public async Task BeatAsync(CancellationToken ct)
    {
        var leases = running.Leases();
        if (leases.Count == 0)
            return;
        var result = await store.JobHeartbeatAsync(new JobHeartbeatParams(options.WorkerId, leases, time.GetUtcNow() + options.Lease), ct);
        foreach (var id in result.CancelRequested)
        {
            if (running.TryGet(id, out var job))
            {
                logger.LogInformation("Job {JobId}: cancellation requested; cancelling its handler", id);
                job.Cancel(CancelReason.Requested);
            }
        }
        foreach (var id in result.Lost)
        {
            if (running.TryGet(id, out var job))
            {
                logger.LogWarning("Job {JobId}: this worker no longer holds it (lease expired and rescued); cancelling its handler", id);
                job.Cancel(CancelReason.Lost);
            }
        }
    }
}
