using Conveyor.Storage;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Conveyor.Maintenance;

/// <summary>
/// Moves due scheduled jobs (delays, retry back-off) to queued and wakes workers. Claims already take due
/// scheduled jobs, so this keeps the visible state honest and wakes idle workers; it never gates execution.
/// </summary>
internal sealed class ScheduledPromoter(
    IMaintenanceStore store,
    StoreReadiness readiness,
    IOptions<ConveyorOptions> options,
    TimeProvider time,
    ILogger<ScheduledPromoter> logger) : PeriodicService(readiness, options, time, logger)
{
    protected override TimeSpan Interval => TimeSpan.FromSeconds(1);

    protected override Task RunOnceAsync(CancellationToken ct) => store.JobPromoteScheduledAsync(new JobPromoteParams(1000), ct);
}
