using Conveyor.Storage;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Conveyor.Telemetry;

/// <summary>
/// Refreshes the queue gauges' snapshot every 5 s from the maintained counts (one small read), and only while some
/// listener (a Prometheus scrape, an OTLP exporter) observes them: an unobserved process never reads for them.
/// </summary>
internal sealed class QueueGaugeSampler(IJobMonitor monitor, ConveyorMetrics metrics, StoreReadiness readiness, TimeProvider time, ILogger<QueueGaugeSampler> logger) : BackgroundService
{
    public static readonly TimeSpan Interval = TimeSpan.FromSeconds(5);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            while (!stoppingToken.IsCancellationRequested)
            {
                if (metrics.QueueGaugesObserved)
                {
                    try
                    {
                        await readiness.EnsureReadyAsync(stoppingToken);
                        metrics.SetQueues(await monitor.QueueStatsAsync(new QueueStatsParams(), stoppingToken));
                    }
                    catch (Exception ex) when (!stoppingToken.IsCancellationRequested)
                    {
                        logger.LogDebug(ex, "Queue gauges could not be refreshed; trying again in {Interval}", Interval);
                    }
                }
                await Task.Delay(Interval, time, stoppingToken);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }
}
