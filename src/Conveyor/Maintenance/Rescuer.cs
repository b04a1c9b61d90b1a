using Conveyor.Execution;
using Conveyor.Storage;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Conveyor.Maintenance;

/// <summary>
/// Finds running jobs whose lease expired on the store's clock (their worker died or froze) and sends them back to
/// scheduled with back-off and a "worker lost" error, or to failed when no attempts remain. Safe on every node at
/// once: each write is fenced by the lease token it read and applies only while the lease is still expired.
/// Also removes the records of worker processes that stopped reporting.
/// </summary>
internal sealed class Rescuer(
    IMaintenanceStore store,
    IJobExecutionStore outcomes,
    RetryPolicy retries,
    StoreReadiness readiness,
    IOptions<ConveyorOptions> options,
    TimeProvider time,
    ILogger<Rescuer> logger,
    Telemetry.ConveyorMetrics? metrics = null) : PeriodicService(readiness, options, time, logger)
{
    private const int BatchSize = 500;

    protected override TimeSpan Interval => Options.RescueInterval;

    /// <summary>A live worker refreshes its record at least every 5 s; one unseen for a minute (or 3 leases) is gone.</summary>
    private TimeSpan StaleWorker => TimeSpan.FromTicks(Math.Max(TimeSpan.FromMinutes(1).Ticks, Options.Lease.Ticks * 3));

    protected override async Task RunOnceAsync(CancellationToken ct)
    {
        await RescueAsync(ct);
        var pruned = await store.WorkerPruneAsync(new WorkerPruneParams(StaleWorker), ct);
        if (pruned > 0)
            Logger.LogInformation("Removed {Count} workers records not seen for {Stale}", pruned, StaleWorker);
    }

    /// <summary>Rescues one batch; returns how many jobs were moved.</summary>
    public async Task<int> RescueAsync(CancellationToken ct)
    {
        var expired = await store.JobListExpiredAsync(new JobExpiredParams(BatchSize), ct);
        if (expired.Count == 0)
            return 0;
        var rescues = expired.Select(job => retries.Rescued(job,
            new JobError(Time.GetUtcNow(), job.Attempt, "WorkerLost", $"Worker {job.WorkerId} stopped heartbeating; its lease expired.")) with { Kind = job.Kind }).ToList();
        // A rescue is an attempt outcome like any other, written by the hot path's one outcome statement.
        var applied = await outcomes.JobApplyOutcomesAsync(new JobApplyOutcomesParams(rescues), ct);
        metrics?.Applied(rescues, applied);
        if (applied.Count > 0)
            Logger.LogWarning("Rescued {Count} jobs whose worker stopped heartbeating: {Ids}", applied.Count, string.Join(",", applied.Take(20).Select(a => a.Id)));
        return applied.Count;
    }
}
