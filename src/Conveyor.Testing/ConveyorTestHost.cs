using Conveyor.Storage;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Conveyor.Testing;

/// <summary>
/// Runs Conveyor inside a test: the real engine and hosted services over a given store, without a generic host.
/// Start it, enqueue through <see cref="Client"/>, wait for jobs, and dispose to shut down gracefully.
/// </summary>
public sealed class ConveyorTestHost : IAsyncDisposable
{
    private readonly ServiceProvider _services;
    private readonly List<IHostedService> _started = [];

    /// <summary>A host over <paramref name="store"/>: a 200 ms poll and a fresh worker id, then <paramref name="configure"/>; <paramref name="services"/> adds the handlers' own services.</summary>
    public ConveyorTestHost(IConveyorStore store, Action<ConveyorOptions>? configure = null, Action<IServiceCollection>? services = null)
    {
        var collection = new ServiceCollection();
        collection.AddLogging(l => l.SetMinimumLevel(LogLevel.Warning));
        services?.Invoke(collection);
        collection.AddConveyor(o =>
        {
            o.UseStore(_ => store);
            o.PollInterval = TimeSpan.FromMilliseconds(200);
            o.WorkerId = "test-" + Guid.NewGuid().ToString("N")[..8];
            configure?.Invoke(o);
        });
        _services = collection.BuildServiceProvider();
        Store = store;
    }

    /// <summary>The store the host runs on.</summary>
    public IConveyorStore Store { get; }
    /// <summary>The host's services.</summary>
    public IServiceProvider Services => _services;
    /// <summary>The client: enqueue, get, wait, cancel, retry.</summary>
    public IJobClient Client => _services.GetRequiredService<IJobClient>();
    /// <summary>The validated options (read-only).</summary>
    public ConveyorOptions Options => _services.GetRequiredService<IOptions<ConveyorOptions>>().Value;

    /// <summary>Validates the options and starts the store, the worker and the maintenance services.</summary>
    public async Task StartAsync(CancellationToken ct = default)
    {
        // What a host's ValidateOnStart does: a bad setting fails here, naming it.
        _ = Options;
        foreach (var service in _services.GetServices<IHostedService>())
        {
            await service.StartAsync(ct);
            _started.Add(service);
        }
    }

    /// <summary>Stops in reverse order, as a host does: workers finish or hand back their jobs.</summary>
    public async Task StopAsync(CancellationToken ct = default)
    {
        for (var i = _started.Count - 1; i >= 0; i--)
            await _started[i].StopAsync(ct);
        _started.Clear();
    }

    /// <summary>Waits until no job is scheduled-and-due, queued or running, or throws after <paramref name="timeout"/>.</summary>
    public async Task DrainAsync(TimeSpan timeout)
    {
        using var limit = new CancellationTokenSource(timeout);
        while (true)
        {
            var stats = await Client.QueuesAsync(limit.Token);
            if (stats.All(q => q.Count(JobState.Queued) == 0 && q.Count(JobState.Running) == 0 && q.OldestWaitingAge is null))
                return;
            try
            {
                await Task.Delay(50, limit.Token);
            }
            catch (OperationCanceledException)
            {
                throw new TimeoutException($"Jobs still waiting or running after {timeout}: {string.Join("; ", stats.Select(s => $"{s.Queue} queued={s.Count(JobState.Queued)} running={s.Count(JobState.Running)}"))}");
            }
        }
    }

    /// <summary>Stops gracefully and disposes the services.</summary>
    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        await _services.DisposeAsync();
    }
}
