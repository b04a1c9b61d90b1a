using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Conveyor.Maintenance;

/// <summary>
/// Runs one small maintenance step every interval (idle when <see cref="ConveyorOptions.RunMaintenance"/> is off);
/// a failing step is logged and tried again next time.
/// </summary>
internal abstract class PeriodicService(StoreReadiness readiness, IOptions<ConveyorOptions> options, TimeProvider time, ILogger logger) : BackgroundService
{
    protected ConveyorOptions Options { get; } = options.Value;

    protected abstract TimeSpan Interval { get; }

    protected TimeProvider Time => time;

    protected ILogger Logger => logger;

    protected abstract Task RunOnceAsync(CancellationToken ct);

    /// <summary>One step now, outside the loop: Conveyor.Testing runs maintenance when it moves its clock.</summary>
    internal Task StepAsync(CancellationToken ct) => RunOnceAsync(ct);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!Options.ShouldRunMaintenance)
            return;
        try
        {
            while (!stoppingToken.IsCancellationRequested)
            {
                try
                {
                    await readiness.EnsureReadyAsync(stoppingToken);
                    await RunOnceAsync(stoppingToken);
                }
                catch (Exception ex) when (!stoppingToken.IsCancellationRequested)
                {
                    logger.LogWarning(ex, "{Service} step failed; trying again in {Interval}", GetType().Name, Interval);
                }
                await Task.Delay(Interval, time, stoppingToken);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }
}
