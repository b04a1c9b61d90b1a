using Conveyor.Storage;
using Microsoft.Extensions.Logging;

namespace Conveyor.Maintenance;

/// <summary>Deletes old finished jobs in small batches, so that the table stays small and never locks up.</summary>
public sealed class Pruner(
    IJobStore store,
    ConveyorOptions options,
    StoreReadiness readiness,
    TimeProvider time,
    ILogger<Pruner> logger) : PeriodicService(readiness, time, logger)
{
    private const int MaxBatchesPerRun = 20;

    protected override TimeSpan Interval => options.PruneInterval;

    protected override async Task RunOnceAsync(CancellationToken ct) => await PruneAsync(ct);

    public async Task<int> PruneAsync(CancellationToken ct)
    {
        var total = 0;
        for (var i = 0; i < MaxBatchesPerRun; i++)
        {
            var now = Time.GetUtcNow();
            var deleted = await store.JobPruneAsync(new JobPruneParams(now - options.CompletedRetention, now - options.FailedRetention, options.PruneBatchSize), ct);
            total += deleted;
            if (deleted < options.PruneBatchSize)
                break;
        }
        if (total > 0)
            logger.LogInformation("Pruned {Count} finished jobs", total);
        return total;
    }
}
