using Conveyor.Execution;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Xunit;

namespace Conveyor.Tests;

/// <summary>Options the Microsoft.Extensions way: bound, overridden by code, validated at start, read-only after.</summary>
public sealed class OptionsTests
{
    private static readonly string NeverOpened = Path.Combine(Path.GetTempPath(), "conveyor-never-opened.db");

    private static ServiceProvider Build(Action<IServiceCollection> add, IDictionary<string, string?>? configuration = null)
    {
        var services = new ServiceCollection();
        services.AddLogging();
        if (configuration is not null)
            services.AddSingleton<IConfiguration>(new ConfigurationBuilder().AddInMemoryCollection(configuration).Build());
        add(services);
        return services.BuildServiceProvider();
    }

    [Fact]
    public void A_bad_setting_fails_at_start_naming_it()
    {
        using var provider = Build(s => s.AddConveyor(o => o.UseSqlite(NeverOpened).Concurrency = 0));
        var error = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<IOptions<ConveyorOptions>>().Value);
        Assert.Contains("Conveyor:Concurrency must be at least 1 (got 0)", error.Message);

        using var noStore = Build(s => s.AddConveyor());
        Assert.Contains("No store configured", Assert.Throws<OptionsValidationException>(() => noStore.GetRequiredService<IOptions<ConveyorOptions>>().Value).Message);

        using var badQueue = Build(s => s.AddConveyor(o => o.UseSqlite(NeverOpened).Queues = ["ok", "not ok"]));
        Assert.Contains("Conveyor:Queues", Assert.Throws<OptionsValidationException>(() => badQueue.GetRequiredService<IOptions<ConveyorOptions>>().Value).Message);
    }

    [Fact]
    public async Task A_host_refuses_to_start_with_bad_options()
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Services.AddConveyor(o => o.UseSqlite(NeverOpened).Lease = TimeSpan.FromMilliseconds(10));
        using var host = builder.Build();
        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync());
        Assert.Contains("Conveyor:Lease must be at least 300ms", error.Message);
    }

    [Fact]
    public void The_Conveyor_section_is_bound_and_code_overrides_it()
    {
        using var provider = Build(s => s.AddConveyor(o => o.UseSqlite(NeverOpened).Concurrency = 7), new Dictionary<string, string?>
        {
            ["Conveyor:Concurrency"] = "3",
            ["Conveyor:Queues"] = "mail, reports",
            ["Conveyor:Lease"] = "00:01:00",
            ["Conveyor:DefaultMaxAttempts"] = "4",
        });
        var options = provider.GetRequiredService<IOptions<ConveyorOptions>>().Value;
        Assert.Equal(7, options.Concurrency);
        Assert.Equal(["mail", "reports"], options.Queues);
        Assert.Equal(TimeSpan.FromMinutes(1), options.Lease);
        Assert.Equal(4, options.DefaultMaxAttempts);
    }

    [Fact]
    public void Options_are_read_only_once_validated()
    {
        using var provider = Build(s => s.AddConveyor(o => o.UseSqlite(NeverOpened)));
        var options = provider.GetRequiredService<IOptions<ConveyorOptions>>().Value;
        Assert.Throws<InvalidOperationException>(() => options.Concurrency = 99);
        Assert.Throws<NotSupportedException>(() => options.Queues.Add("sneaky"));
        Assert.Throws<InvalidOperationException>(() => options.AddHandler<NoArgs, NoHandler>("late.kind"));
    }

    [Fact]
    public async Task Calling_AddConveyor_twice_is_harmless()
    {
        await using var provider = Build(s => s
            .AddConveyor(o => o.UseSqlite(NeverOpened).AddHandler<NoArgs, NoHandler>("k.one"))
            .AddConveyor(o => o.AddHandler<NoArgs, NoHandler>("k.one").Concurrency = 5));
        Assert.Single(provider.GetServices<IHostedService>().OfType<WorkerService>());
        Assert.Equal(9, provider.GetServices<IHostedService>().Count()); // startup, worker, rescuer, promoter, pruner, counts folder, scheduler, table sources, queue gauges
        var options = provider.GetRequiredService<IOptions<ConveyorOptions>>().Value;
        Assert.Equal(5, options.Concurrency);
        Assert.Equal(["k.one"], options.RegisteredKinds.Select(k => k.Kind));
        Assert.Single(provider.GetServices<IJobClient>());
    }

    [Fact]
    public void Another_handler_for_a_taken_kind_is_an_error()
    {
        var options = new ConveyorOptions().AddHandler<NoArgs, NoHandler>("k.taken");
        Assert.Contains("registered twice", Assert.Throws<InvalidOperationException>(() => options.AddHandler<NoArgs, OtherHandler>("k.taken")).Message);
    }

    public sealed record NoArgs;

    public sealed class NoHandler : IJobHandler<NoArgs>
    {
        public Task<JobResult> HandleAsync(JobContext<NoArgs> job, CancellationToken ct) => Task.FromResult(JobResult.Completed());
    }

    public sealed class OtherHandler : IJobHandler<NoArgs>
    {
        public Task<JobResult> HandleAsync(JobContext<NoArgs> job, CancellationToken ct) => Task.FromResult(JobResult.Completed());
    
    [Fact]
    public void A_schedule_in_code_is_checked_when_it_is_declared()
    {
        var options = new ConveyorOptions().AddSchedule("nightly", "0 3 * * *", "report.build", s => s with { TimeZone = "Europe/Berlin" });
        Assert.Equal("Europe/Berlin", Assert.Single(options.Schedules).TimeZone);
        Assert.Contains("Minutes", Assert.ThrowsAny<JobValidationException>(() => new ConveyorOptions().AddSchedule("bad", "99 * * * *", "k")).Message);
        Assert.Contains("Schedule name", Assert.ThrowsAny<JobValidationException>(() => new ConveyorOptions().AddSchedule("no spaces", "0 3 * * *", "k")).Message);
        Assert.Throws<InvalidOperationException>(() => options.AddSchedule("nightly", "0 4 * * *", "k"));
    }
}
}
