namespace Conveyor;

/// <summary>
/// The names Conveyor's telemetry is published under, for your own OpenTelemetry setup:
/// <c>builder.Services.AddOpenTelemetry().WithMetrics(m => m.AddMeter(ConveyorDiagnostics.MeterName)).WithTracing(t => t.AddSource(ConveyorDiagnostics.ActivitySourceName))</c>.
/// </summary>
public static class ConveyorDiagnostics
{
    /// <summary>The <see cref="System.Diagnostics.Metrics.Meter"/>: counters per queue and kind, run and wait durations, queue and worker gauges.</summary>
    public const string MeterName = "Conveyor";

    /// <summary>The <see cref="System.Diagnostics.ActivitySource"/>: a producer span per enqueue, a consumer span per attempt.</summary>
    public const string ActivitySourceName = "Conveyor";
}
