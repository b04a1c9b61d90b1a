using Conveyor.Storage;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Conveyor.Maintenance;

/// <summary>
/// Folds the count changes writers append (PostgreSQL's job_count_deltas) into the kept totals every few seconds, so
/// that readers add up a few rows. Every node may run it at once; the store makes that safe.
/// </summary>
internal sealed class CountsFolder(
    IMaintenanceStore store,
    StoreReadiness readiness,
    IOptions<ConveyorOptions> options,
    TimeProvider time,
    ILogger<CountsFolder> logger) : PeriodicService(readiness, options, time, logger)
{
    protected override TimeSpan Interval => TimeSpan.FromSeconds(2);

    protected override Task RunOnceAsync(CancellationToken ct) => store.JobCountsFoldAsync(ct);
}
