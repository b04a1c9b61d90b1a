using Conveyor.Storage;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Conveyor;

/// <summary>Migrates (when allowed) and starts the notifier once, whoever asks first: the host at start, or a client used without a host.</summary>
public sealed class StoreReadiness(IConveyorStore store, ConveyorOptions options, ILogger<StoreReadiness> logger)
{
    private readonly Lazy<Task> _ready = new(() => PrepareAsync(store, options, logger));

    public Task EnsureReadyAsync(CancellationToken ct) => _ready.Value.WaitAsync(ct);

    private static async Task PrepareAsync(IConveyorStore store, ConveyorOptions options, ILogger logger)
    {
        if (options.AutoMigrate)
            await store.MigrateAsync(CancellationToken.None);
        await store.Notifier.StartAsync(CancellationToken.None);
        logger.LogDebug("Store ready: {Store}", store.Description);
    }
}

internal sealed class StoreStartupService(StoreReadiness readiness, IConveyorStore store) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken) => readiness.EnsureReadyAsync(cancellationToken);

    public Task StopAsync(CancellationToken cancellationToken) => store.Notifier.StopAsync(cancellationToken);
}
