using Conveyor.Execution;
using Conveyor.Maintenance;
using Conveyor.Storage;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace Conveyor;

/// <summary>Adds Conveyor to a service collection.</summary>
public static class ConveyorServiceCollectionExtensions
{
    /// <summary>
    /// Adds Conveyor: the store and its roles, <see cref="IJobClient"/>, and the worker and maintenance services
    /// (idle when <see cref="ConveyorOptions.RunWorkers"/> is false). <see cref="ConveyorOptions"/> is bound from the
    /// <c>Conveyor</c> configuration section, then <paramref name="configure"/> overrides it; it is validated when
    /// the host starts (or on first use without a host). Calling this again only adds another configure step.
    /// </summary>
    public static IServiceCollection AddConveyor(this IServiceCollection services, Action<ConveyorOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        var options = services.AddOptions<ConveyorOptions>();
        if (!services.Any(d => d.ServiceType == typeof(ConveyorMarker)))
        {
            services.AddSingleton<ConveyorMarker>();
            services.AddSingleton<IConfigureOptions<ConveyorOptions>>(sp => new ConfigureOptions<ConveyorOptions>(o => BindConfiguration(o, sp.GetService<IConfiguration>())));
            services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<ConveyorOptions>, ConveyorOptionsValidator>());
            options.ValidateOnStart();
            AddServices(services);
        }
        if (configure is not null)
            options.Configure(configure);
        return services;
    }

    private static void BindConfiguration(ConveyorOptions options, IConfiguration? configuration)
    {
        var section = configuration?.GetSection("Conveyor");
        if (section is null || !section.Exists())
            return;
        section.Bind(options);
        // The binder appends to a list that has defaults; a configured queue list replaces them. "a,b" is accepted too.
        var queues = section.GetSection("Queues");
        if (queues.Value is { } text)
            options.Queues = [.. text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)];
        else if (queues.GetChildren().Any())
            options.Queues = [.. queues.GetChildren().Select(c => c.Value ?? "")];
    }

    private static void AddServices(IServiceCollection services)
    {
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton(sp => sp.GetRequiredService<IOptions<ConveyorOptions>>().Value.Kinds);
        services.TryAddSingleton(sp =>
        {
            var options = sp.GetRequiredService<IOptions<ConveyorOptions>>().Value;
            return options.StoreFactory!(sp);
        });
        // Each role resolves to the one store; consumers ask for the narrowest role they use.
        services.TryAddSingleton<IJobExecutionStore>(sp => sp.GetRequiredService<IConveyorStore>());
        services.TryAddSingleton<IJobAdminStore>(sp => sp.GetRequiredService<IConveyorStore>());
        services.TryAddSingleton<IJobMonitor>(sp => sp.GetRequiredService<IConveyorStore>());
        services.TryAddSingleton<IJobChangeFeed>(sp => sp.GetRequiredService<IConveyorStore>());
        services.TryAddSingleton<IMaintenanceStore>(sp => sp.GetRequiredService<IConveyorStore>());
        services.TryAddSingleton<IWorkerRegistry>(sp => sp.GetRequiredService<IConveyorStore>());
        services.TryAddSingleton<IStoreMigrator>(sp => sp.GetRequiredService<IConveyorStore>());
        services.TryAddSingleton(sp => sp.GetRequiredService<IConveyorStore>().Notifier);
        services.TryAddSingleton<StoreReadiness>();
        services.TryAddSingleton<RetryPolicy>();
        services.TryAddSingleton<JobRowFactory>();
        services.TryAddSingleton(sp => new Http.HttpJobCaller(sp.GetRequiredService<IOptions<ConveyorOptions>>().Value.HttpAllow ?? new Http.HttpAllowList([])));
        services.TryAddSingleton<IJobClient, JobClient>();
        services.TryAddSingleton<Scheduling.IScheduleClient, Scheduling.ScheduleClient>();
        services.TryAddSingleton<Sources.ITableSourceClient, Sources.TableSourceClient>();
        services.TryAddSingleton(sp => new Telemetry.ConveyorMetrics(sp.GetService<System.Diagnostics.Metrics.IMeterFactory>()));
        services.TryAddSingleton<Telemetry.ConveyorTracing>();

        // In this order: the schema exists before any worker or web request uses it.
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IHostedService, StoreStartupService>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IHostedService, WorkerService>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IHostedService, Rescuer>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IHostedService, ScheduledPromoter>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IHostedService, Pruner>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IHostedService, CountsFolder>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IHostedService, Scheduler>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IHostedService, TableSourcePoller>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IHostedService, Telemetry.QueueGaugeSampler>());
        services.TryAddSingleton<IScheduleStore>(sp => sp.GetRequiredService<IConveyorStore>());
        services.TryAddSingleton<IJobDependencyStore>(sp => sp.GetRequiredService<IConveyorStore>());
    }

    /// <summary>Marks a collection Conveyor was added to, so that a second call adds no second set of services.</summary>
    private sealed class ConveyorMarker;
}
