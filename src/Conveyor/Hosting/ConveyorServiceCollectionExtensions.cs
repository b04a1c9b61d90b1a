using Conveyor.Execution;
using Conveyor.Maintenance;
using Conveyor.Storage;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;

namespace Conveyor;

public static class ConveyorServiceCollectionExtensions
{
    /// <summary>
    /// Adds Conveyor: the store, <see cref="IJobClient"/>, and (unless <see cref="ConveyorOptions.RunWorkers"/> is false)
    /// the worker and maintenance services. Options are validated here, so a bad configuration fails at start.
    /// </summary>
    public static IServiceCollection AddConveyor(this IServiceCollection services, Action<ConveyorOptions> configure)
    {
        var options = new ConveyorOptions();
        configure(options);
        return services.AddConveyor(options);
    }

    /// <summary>Adds Conveyor with options built beforehand (a host that inspected them first, as the CLI does).</summary>
    public static IServiceCollection AddConveyor(this IServiceCollection services, ConveyorOptions options)
    {
        options.Validate();

        services.TryAddSingleton(TimeProvider.System);
        services.AddSingleton(options);
        services.AddSingleton(options.Kinds);
        services.AddSingleton(sp => options.StoreFactory!(sp));
        services.AddSingleton<IJobStore>(sp => sp.GetRequiredService<IConveyorStore>());
        services.AddSingleton<IJobMonitor>(sp => sp.GetRequiredService<IConveyorStore>());
        services.AddSingleton<StoreReadiness>();
        services.AddSingleton<IJobClient, JobClient>();

        // Registered first so that the schema exists before any worker or web request uses it.
        services.AddHostedService<StoreStartupService>();
        if (options.RunWorkers)
            services.AddHostedService<WorkerService>();
        if (options.ShouldRunMaintenance)
        {
            services.AddHostedService<Rescuer>();
            services.AddHostedService<ScheduledPromoter>();
            services.AddHostedService<Pruner>();
        }
        return services;
    }
}
