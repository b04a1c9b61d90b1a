using Conveyor.Storage;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Conveyor.Maintenance;

/// <summary>Deletes old finished jobs in small batches, so that the table stays small and never locks up.</summary>
internal sealed class Pruner(
    IMaintenanceStore store,
    StoreReadiness readiness,
    IOptions<ConveyorOptions> options,
    TimeProvider time,
    ILogger<Pruner> logger) : PeriodicService(readiness, options, time, logger)
{
    private const int MaxBatchesPerRun = 20;

    protected override TimeSpan Interval => Options.PruneInterval;

    protected override async Task RunOnceAsync(CancellationToken ct) => await PruneAsync(ct);

    public async Task<int> PruneAsync(CancellationToken ct)
    {
        var total = 0;
        for (var i = 0; i < MaxBatchesPerRun; i++)
        {
            var deleted = await store.JobPruneAsync(new JobPruneParams(Options.CompletedRetention, Options.FailedRetention, Options.PruneBatchSize), ct);
            total += deleted;
            if (deleted < Options.PruneBatchSize)
                break;
        }
        if (total > 0)
            Logger.LogInformation("Pruned {Count} finished jobs", total);
        return total;
    }
}
