using Conveyor.Storage;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Conveyor;

/// <summary>
/// Migrates (when allowed) and starts the notifier, whoever asks first: the host at start, or a client used without
/// a host. A failed attempt (database down, migration refused) is reported and tried again on the next use, so one
/// bad start never breaks the process for good.
/// </summary>
internal sealed class StoreReadiness(IStoreMigrator migrator, IJobNotifier notifier, IOptions<ConveyorOptions> options, ILogger<StoreReadiness> logger)
{
    private readonly SemaphoreSlim _gate = new(1, 1);
    private volatile bool _ready;

    /// <summary>Why the last attempt failed; null once ready.</summary>
    public string? LastError { get; private set; }

    public bool IsReady => _ready;

    public async Task EnsureReadyAsync(CancellationToken ct)
    {
        if (_ready)
            return;
        await _gate.WaitAsync(ct);
        try
        {
            if (_ready)
                return;
            if (options.Value.AutoMigrate)
                await migrator.MigrateAsync(ct);
            await notifier.StartAsync(ct);
            _ready = true;
            LastError = null;
        }
        catch (Exception ex) when (!ct.IsCancellationRequested)
        {
            LastError = ex.Message;
            logger.LogWarning(ex, "The store is not ready ({Reason}); the next use tries again", ex.Message);
            throw;
        }
        finally
        {
            _gate.Release();
        }
    }
}

internal sealed class StoreStartupService(StoreReadiness readiness, IJobNotifier notifier) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken) => readiness.EnsureReadyAsync(cancellationToken);

    public Task StopAsync(CancellationToken cancellationToken) => notifier.StopAsync(cancellationToken);
}
