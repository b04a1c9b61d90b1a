using Conveyor.Execution;
using Conveyor.Storage;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace Conveyor.Tests.Engine;

/// <summary>
/// The engine's parts (executor, completer, producer, lease keeper) wired by hand over <see cref="InMemoryJobStore"/>
/// and a <see cref="FakeTimeProvider"/>: time moves only when a test advances it, so back-off, timeouts, throttling
/// and shutdown are tested without sleeping.
/// </summary>
internal sealed class EngineRig : IAsyncDisposable
{
    public static readonly DateTimeOffset Start = new(2026, 1, 1, 12, 0, 0, TimeSpan.Zero);

    public EngineRig(Action<JobKindRegistry>? register = null, DrainPlan? drain = null, int claimAhead = 0)
    {
        Store = new InMemoryJobStore(Time);
        register?.Invoke(Kinds);
        Settings = new WorkerSettings("w1", ["default"], Concurrency: 4, Lease: TimeSpan.FromSeconds(30),
            HeartbeatInterval: TimeSpan.FromSeconds(1), PollInterval: TimeSpan.FromSeconds(1), ProgressInterval: TimeSpan.FromMilliseconds(250),
            CompleterWindow: TimeSpan.Zero, CompleterBatchSize: 100, ShutdownTimeout: TimeSpan.FromSeconds(5), Drain: drain, ClaimAhead: claimAhead);
        Buffer = new ClaimBuffer(claimAhead, Time);
        var options = new ConveyorOptions { Backoff = new BackoffPolicy(TimeSpan.FromSeconds(1), 2, TimeSpan.FromMinutes(10), 0) };
        Retries = new RetryPolicy(Kinds, Options.Create(options));
        Services = new ServiceCollection().AddSingleton(Gate).BuildServiceProvider();
        Completer = new Completer(Store, Settings, Time, NullLogger.Instance, Metrics);
        Executor = new Executor(Services, Store, Kinds, Retries, Settings, Running, Completer, Time, NullLoggerFactory.Instance, Metrics);
        Completer.Start();
    }

    public FakeTimeProvider Time { get; } = new(Start);
    /// <summary>This rig's own meter (tests listen to it alone, so parallel tests do not see each other's measurements).</summary>
    public Telemetry.ConveyorMetrics Metrics { get; } = new();
    public InMemoryJobStore Store { get; }
    public JobKindRegistry Kinds { get; } = new();
    public WorkerSettings Settings { get; }
    public RetryPolicy Retries { get; }
    public RunningJobs Running { get; } = new();
    public Completer Completer { get; }
    public Executor Executor { get; }
    public ClaimBuffer Buffer { get; }
    public ServiceProvider Services { get; }
    public HandlerGate Gate { get; } = new();

    private readonly List<Task> _attempts = [];

    public Producer NewProducer(WorkerSettings? settings = null, Microsoft.Extensions.Logging.ILogger? logger = null) =>
        new(Store, settings ?? Settings, Running, Buffer, Executor, Time, logger ?? NullLogger.Instance);

    public LeaseKeeper NewLeaseKeeper() => new(Store, Settings, Running, Buffer, Completer, Time, NullLogger.Instance);

    /// <summary>Claims one job as this worker, in a reserved slot as the producer does, and starts its attempt (without waiting for it).</summary>
    public Task StartAsync(long id)
    {
        Running.Reserve(1);
        var claimed = Store.ClaimAs(id, Settings.WorkerId, Settings.Lease);
        lock (_attempts)
            _attempts.Add(Task.Run(() => Executor.RunAsync(claimed)));
        return Task.CompletedTask;
    }

    /// <summary>Runs one attempt to its end and returns the outcome the store applied.</summary>
    public async Task<AttemptOutcome> RunAsync(long id)
    {
        var before = Store.Applied.Count;
        await StartAsync(id);
        await Eventually.That(() => Store.Applied.Count > before);
        return Store.Applied[^1];
    }

    public async ValueTask DisposeAsync()
    {
        Gate.Release();
        Task[] attempts;
        lock (_attempts)
            attempts = [.. _attempts];
        await Task.WhenAll(attempts).WaitAsync(TimeSpan.FromSeconds(10));
        await Completer.StopAsync();
        await Services.DisposeAsync();
        Metrics.Dispose();
    }
}

/// <summary>Lets a test hold handlers inside their attempt and release them.</summary>
internal sealed class HandlerGate
{
    private readonly TaskCompletionSource _open = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _entered;

    public int Entered => Volatile.Read(ref _entered);

    public Task WaitAsync(CancellationToken ct)
    {
        Interlocked.Increment(ref _entered);
        return _open.Task.WaitAsync(ct);
    }

    /// <summary>Waits without honouring cancellation: a handler that ignores its token.</summary>
    public Task WaitIgnoringCancellationAsync()
    {
        Interlocked.Increment(ref _entered);
        return _open.Task;
    }

    public void Release() => _open.TrySetResult();
}

/// <summary>Waits for background work (a completer write, a task continuation) without a fixed sleep.</summary>
internal static class Eventually
{
    public static async Task That(Func<bool> condition, string? what = null)
    {
        var deadline = DateTime.UtcNow.AddSeconds(5);
        while (!condition())
        {
            if (DateTime.UtcNow > deadline)
                throw new TimeoutException("Never happened: " + (what ?? "the condition"));
            await Task.Delay(1);
        }
    }

    /// <summary>Moves the clock in small steps until the condition holds: for waits whose timer may not exist yet.</summary>
    public static Task Advancing(Microsoft.Extensions.Time.Testing.FakeTimeProvider time, TimeSpan step, Func<bool> condition, string? what = null) =>
        That(() =>
        {
            if (condition())
                return true;
            time.Advance(step);
            return false;
        }, what);
}
