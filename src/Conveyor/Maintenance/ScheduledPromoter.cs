using Conveyor.Storage;
using Microsoft.Extensions.Logging;

namespace Conveyor.Maintenance;

/// <summary>
/// Moves due scheduled jobs (delays, retry back-off) to queued and wakes workers. Claims already take due
/// scheduled jobs, so this keeps the visible state honest and wakes idle workers; it never gates execution.
/// </summary>
public sealed class ScheduledPromoter(
    IConveyorStore store,
    StoreReadiness readiness,
    TimeProvider time,
    ILogger<ScheduledPromoter> logger) : PeriodicService(readiness, time, logger)
{
    protected override TimeSpan Interval => TimeSpan.FromSeconds(1);

    protected override Task RunOnceAsync(CancellationToken ct) =>
        store.JobPromoteScheduledAsync(new JobPromoteParams(Time.GetUtcNow(), 1000), ct);
}
