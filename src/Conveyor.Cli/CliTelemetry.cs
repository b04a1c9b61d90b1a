using Conveyor.Web;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace Conveyor.Cli;

/// <summary>
/// The CLI's OpenTelemetry: <c>serve</c> exposes the Conveyor meter at <c>/metrics</c> (Prometheus text, by OpenTelemetry's
/// exporter); any command that runs workers exports metrics and traces over OTLP when <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> is
/// set (the exporter reads the standard OTEL_* variables). An application of its own adds the same meter and source to its
/// own <c>AddOpenTelemetry()</c> (<see cref="ConveyorDiagnostics"/>).
/// </summary>
internal static class CliTelemetry
{
    public const string MetricsPath = "/metrics";

    private static bool Otlp => !string.IsNullOrEmpty(Environment.GetEnvironmentVariable("OTEL_EXPORTER_OTLP_ENDPOINT"));

    public static void Add(IHostApplicationBuilder builder, bool prometheus)
    {
        if (!prometheus && !Otlp)
            return;
        // The SDK reads OTEL_* settings (endpoint, protocol, headers, intervals) from the host's configuration, whose
        // sources the CLI clears (it reads its own settings): the OTEL_* variables are put back, and nothing else.
        builder.Configuration.AddInMemoryCollection(Environment.GetEnvironmentVariables().Cast<System.Collections.DictionaryEntry>()
            .Where(e => ((string)e.Key).StartsWith("OTEL_", StringComparison.Ordinal))
            .Select(e => new KeyValuePair<string, string?>((string)e.Key, (string?)e.Value)));
        var telemetry = builder.Services.AddOpenTelemetry()
            .ConfigureResource(r => r.AddService(Environment.GetEnvironmentVariable("OTEL_SERVICE_NAME") ?? "conveyor"))
            .WithMetrics(m =>
            {
                m.AddMeter(ConveyorDiagnostics.MeterName);
                if (prometheus)
                    m.AddPrometheusExporter();
                if (Otlp)
                    m.AddOtlpExporter();
            });
        if (Otlp)
            telemetry.WithTracing(t => t.AddSource(ConveyorDiagnostics.ActivitySourceName).AddOtlpExporter());
    }

    /// <summary>Maps /metrics; with API keys configured a scrape needs one with the read scope (a bearer token in Prometheus' config).</summary>
    public static void MapMetrics(WebApplication app, ConveyorApiKeys keys)
    {
        if (keys.Any)
        {
            app.UseWhen(c => c.Request.Path == MetricsPath, branch => branch.Use(async (context, next) =>
            {
                var given = context.Request.Headers["X-Api-Key"].ToString();
                var authorization = context.Request.Headers.Authorization.ToString();
                if (authorization.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
                    given = authorization["Bearer ".Length..].Trim();
                var scopes = given.Length == 0 ? null : keys.ScopesOf(given);
                if (scopes is null || !ConveyorApiKeys.Grants(scopes.Value, ApiScope.Read))
                {
                    context.Response.StatusCode = scopes is null ? StatusCodes.Status401Unauthorized : StatusCodes.Status403Forbidden;
                    return;
                }
                await next(context);
            }));
        }
        app.MapPrometheusScrapingEndpoint(MetricsPath);
    }
}
