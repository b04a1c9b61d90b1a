using Conveyor.Storage;
using Conveyor.Web.Events;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace Conveyor.Web;

/// <summary>Registers what Conveyor's HTTP API and dashboard share (options, signing, the change hub, bulk actions).</summary>
public static class ConveyorWebServiceCollectionExtensions
{
    /// <summary>
    /// Registers Conveyor's web options (bound from the "Conveyor:Web" configuration section when configuration is
    /// present) and the state <c>MapConveyor()</c> and <c>MapConveyorDashboard()</c> share. Optional: without it each
    /// map call builds its own from the options it is given.
    /// </summary>
    public static IServiceCollection AddConveyorWeb(this IServiceCollection services, Action<ConveyorWebOptions>? configure = null)
    {
        var builder = services.AddOptions<ConveyorWebOptions>();
        if (configure is not null)
            builder.Configure(configure);
        services.TryAddSingleton(sp => new ConveyorWeb(sp.GetRequiredService<IOptions<ConveyorWebOptions>>().Value, sp));
        return services;
    }
}

/// <summary>One app's Conveyor web state: built once, shared by the API routes and the dashboard.</summary>
internal sealed class ConveyorWeb : IAsyncDisposable
{
    private const string PropertyKey = "Conveyor.Web";

    public ConveyorWeb(ConveyorWebOptions options, IServiceProvider services)
    {
        Options = options;
        Time = services.GetService<TimeProvider>() ?? TimeProvider.System;
        var loggers = services.GetService<ILoggerFactory>() ?? NullLoggerFactory.Instance;
        Signer = Signer.Create(options.SigningKey);
        Tokens = new JobTokens(Signer, Time);
        Sessions = new DashboardSessions(Signer, Time, options.SessionLifetime);
        Redactor = new ArgsRedactor(options.Redactions);
        Hub = new ChangeHub(services.GetRequiredService<IJobChangeFeed>(), loggers.CreateLogger("Conveyor.Web.Events"), Time);
        Bulk = new BulkOperations(services.GetRequiredService<IJobClient>(), Time, loggers.CreateLogger("Conveyor.Web.BulkOperations"));
        Stopping = services.GetService<IHostApplicationLifetime>()?.ApplicationStopping ?? CancellationToken.None;
        Stopping.Register(() => _ = Hub.DisposeAsync().AsTask());
    }

    public ConveyorWebOptions Options { get; }
    public TimeProvider Time { get; }
    public Signer Signer { get; }
    public JobTokens Tokens { get; }
    public DashboardSessions Sessions { get; }
    public ArgsRedactor Redactor { get; }
    public ChangeHub Hub { get; }
    public BulkOperations Bulk { get; }
    public CancellationToken Stopping { get; }

    /// <summary>The app's shared instance: registered by AddConveyorWeb, else made once per app from <paramref name="options"/>.</summary>
    public static ConveyorWeb For(IEndpointRouteBuilder endpoints, ConveyorWebOptions? options)
    {
        var app = endpoints as IApplicationBuilder;
        if (options is null && app?.Properties.TryGetValue(PropertyKey, out var existing) == true && existing is ConveyorWeb shared)
            return shared;
        var web = options is null ? endpoints.ServiceProvider.GetService<ConveyorWeb>() : null;
        web ??= new ConveyorWeb(options ?? new ConveyorWebOptions(), endpoints.ServiceProvider);
        if (app is not null)
            app.Properties[PropertyKey] = web;
        return web;
    }

    public ValueTask DisposeAsync() => Hub.DisposeAsync();
}
