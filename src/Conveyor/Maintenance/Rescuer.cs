using Conveyor.Storage;
using Microsoft.Extensions.Logging;

namespace Conveyor.Maintenance;

/// <summary>
/// Finds running jobs whose lease expired (their worker died or froze) and sends them back to scheduled with
/// back-off and a "worker lost" error, or to failed when no attempts remain. Safe on every node at once:
/// each write is fenced by the lease token it read, so two rescuers cannot both move one job.
/// </summary>
public sealed class Rescuer(
    IConveyorStore store,
    JobKindRegistry kinds,
    ConveyorOptions options,
    StoreReadiness readiness,
    TimeProvider time,
    ILogger<Rescuer> logger) : PeriodicService(readiness, time, logger)
{
    private const int BatchSize = 500;

    protected override TimeSpan Interval => options.RescueInterval;

    protected override async Task RunOnceAsync(CancellationToken ct)
    {
        await RescueAsync(ct);
        // A live worker refreshes its record at least every 5 s; one unseen for a minute (or 3 leases) is gone.
        var stale = TimeSpan.FromTicks(Math.Max(TimeSpan.FromMinutes(1).Ticks, options.Lease.Ticks * 3));
        var pruned = await store.WorkerPruneAsync(Time.GetUtcNow() - stale, ct);
        if (pruned > 0)
            logger.LogInformation("Removed {Count} workers records not seen for {Stale}", pruned, stale);
    }

    /// <summary>Rescues one batch; returns how many jobs were moved.</summary>
    public async Task<int> RescueAsync(CancellationToken ct)
    {
        var now = Time.GetUtcNow();
        var expired = await store.JobListExpiredAsync(new JobExpiredParams(now, BatchSize), ct);
        if (expired.Count == 0)
            return 0;
        var finishes = expired.Select(job => ToFinish(job, now)).ToList();
        var applied = await store.JobFinishManyAsync(new JobFinishManyParams(finishes), ct);
        if (applied.Count > 0)
            logger.LogWarning("Rescued {Count} jobs whose worker stopped heartbeating: {Ids}", applied.Count, string.Join(",", applied.Take(20)));
        return applied.Count;
    }

    private JobFinish ToFinish(ExpiredJob job, DateTimeOffset now)
    {
        var error = new JobError(now, job.Attempt, "WorkerLost", $"Worker {job.WorkerId} stopped heartbeating; its lease expired.");
        if (job.Attempt >= job.MaxAttempts)
            return new JobFinish(job.Id, job.Attempt, job.WorkerId, JobState.Failed, now, Error: error);
        var backoff = kinds.TryGet(job.Kind, out var registration) ? registration.Options.Backoff ?? options.Backoff : options.Backoff;
        return new JobFinish(job.Id, job.Attempt, job.WorkerId, JobState.Scheduled, now, Error: error, RunAt: now + backoff.DelayFor(job.Attempt, Random.Shared));
    }
}
