using Conveyor.Sources;
using Conveyor.Storage;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Conveyor.Maintenance;

/// <summary>
/// Runs every table source at its interval (every process: concurrent polls take different rows, SKIP LOCKED). A full
/// batch is followed by another at once, up to ten, so a backlog drains without waiting an interval per batch. Sources
/// are read from the store on every pass, so one added with <c>conveyor sources add</c> starts without a restart.
/// </summary>
internal sealed class TableSourcePoller(
    IConveyorStore store,
    ITableSourceClient client,
    StoreReadiness readiness,
    IOptions<ConveyorOptions> options,
    TimeProvider time,
    ILogger<TableSourcePoller> logger) : PeriodicService(readiness, options, time, logger)
{
    private const int MaxBatchesPerPass = 10;
    private readonly Dictionary<string, DateTimeOffset> _lastRun = new(StringComparer.Ordinal);
    private bool _declared;

    protected override TimeSpan Interval => TimeSpan.FromSeconds(1);

    protected override async Task RunOnceAsync(CancellationToken ct)
    {
        if (store is not ITableSourceStore sources)
        {
            if (!_declared && Options.TableSources.Count > 0)
                Logger.LogError("Table sources need PostgreSQL; {Store} has none, so {Count} declared source(s) will not run.", store.Description, Options.TableSources.Count);
            _declared = true;
            return;
        }
        if (!_declared)
        {
            // Declared in code: upserted by every process at start (by name: idempotent).
            foreach (var source in Options.TableSources)
                await client.UpsertAsync(source, ct);
            _declared = true;
        }
        var now = Time.GetUtcNow();
        foreach (var info in await sources.TableSourceListAsync(ct))
        {
            var source = info.Definition;
            if (_lastRun.TryGetValue(source.Name, out var last) && now - last < source.Interval)
                continue;
            _lastRun[source.Name] = now;
            try
            {
                for (var batch = 0; batch < MaxBatchesPerPass; batch++)
                {
                    var moved = await sources.TableSourcePollAsync(source, ct);
                    if (moved > 0)
                        Logger.LogDebug("Table source {Source}: {Moved} rows enqueued as {Kind}", source.Name, moved, source.Kind);
                    if (moved < source.BatchSize)
                        break;
                }
            }
            catch (Exception ex) when (!ct.IsCancellationRequested)
            {
                Logger.LogWarning(ex, "Table source {Source} failed; trying again in {Interval}.", source.Name, source.Interval);
            }
        }
    }
}
