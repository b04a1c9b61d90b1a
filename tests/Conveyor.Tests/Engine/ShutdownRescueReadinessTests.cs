using Conveyor.Execution;
using Conveyor.Maintenance;
using Conveyor.Storage;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using Xunit;

namespace Conveyor.Tests.Engine;

/// <summary>The worker service's shutdown, the rescuer, and store readiness, on a fake clock.</summary>
public sealed class ShutdownRescueReadinessTests
{
    private static readonly DateTimeOffset Start = EngineRig.Start;

    /// <summary>A whole worker (DI, hosted services) over the in-memory store and a fake clock.</summary>
    internal sealed class WorkerHost : IAsyncDisposable
    {
        public WorkerHost(Action<ConveyorOptions>? configure = null)
        {
            Store = new InMemoryJobStore(Time);
            var services = new ServiceCollection();
            services.AddLogging();
            services.AddSingleton<TimeProvider>(Time);
            services.AddSingleton(Gate);
            var conveyor = new InMemoryConveyorStore(Store);
            services.AddConveyor(o =>
            {
                o.UseStore(_ => conveyor);
                o.WorkerId = "w1";
                o.Concurrency = 2;
                o.CompleterWindow = TimeSpan.Zero;
                o.ShutdownTimeout = TimeSpan.FromSeconds(10);
                o.AutoMigrate = false;
                o.RunMaintenance = false;
                o.AddHandler<Args, WaitsHandler>("waits");
                o.AddHandler<Args, IgnoresCancellationHandler>("stubborn");
                configure?.Invoke(o);
            });
            Provider = services.BuildServiceProvider();
        }

        public FakeTimeProvider Time { get; } = new(Start);
        public InMemoryJobStore Store { get; }
        public HandlerGate Gate { get; } = new();
        public ServiceProvider Provider { get; }

        /// <summary>The one hosted service of type <typeparamref name="T"/>.</summary>
        public T Hosted<T>() => Provider.GetServices<Microsoft.Extensions.Hosting.IHostedService>().OfType<T>().Single();

        public ValueTask DisposeAsync() => Provider.DisposeAsync();
    }

    [Fact]
    public async Task Shutdown_waits_its_timeout_then_cancels_and_hands_back_what_still_runs()
    {
        await using var host = new WorkerHost();
        var (time, store, gate, worker) = (host.Time, host.Store, host.Gate, host.Hosted<WorkerService>());
        var polite = store.Add("waits");
        var stubborn = store.Add("stubborn");
        await worker.StartAsync(default);
        await Eventually.That(() => gate.Entered == 2, "both jobs started");

        var stopping = worker.StopAsync(default);
        time.Advance(TimeSpan.FromSeconds(9));
        await Task.Yield();
        Assert.False(stopping.IsCompleted, "still within the shutdown timeout");
        Assert.Empty(store.Applied);
        // Past the timeout: the polite handler is cancelled and handed back; the stubborn one after the grace period.
        await Eventually.Advancing(time, TimeSpan.FromSeconds(1), () => stopping.IsCompleted, "shutdown finished");
        await stopping;
        Assert.Equal((JobState.Queued, 0), (store[polite.Id].State, store[polite.Id].Attempt));
        Assert.Equal((JobState.Queued, 0), (store[stubborn.Id].State, store[stubborn.Id].Attempt));
        Assert.All(store.Applied, o => Assert.Equal(OutcomeReason.HandedBack, o.Reason));
        // The stubborn handler still runs; when it returns, its late outcome is dropped and its slot freed.
        Assert.Equal(1, worker.Running.Count);
        gate.Release();
        await Eventually.That(() => worker.Running.Count == 0);
        Assert.Equal(2, store.Applied.Count);
        Assert.Equal(JobState.Queued, store[stubborn.Id].State);
    }

    [Fact]
    public async Task Jobs_that_finish_within_the_shutdown_timeout_complete()
    {
        await using var host = new WorkerHost();
        var (time, store, gate, worker) = (host.Time, host.Store, host.Gate, host.Hosted<WorkerService>());
        var job = store.Add("waits");
        await worker.StartAsync(default);
        await Eventually.That(() => gate.Entered == 1);
        var stopping = worker.StopAsync(default);
        time.Advance(TimeSpan.FromSeconds(2));
        gate.Release();
        await stopping;
        Assert.Equal(JobState.Completed, store[job.Id].State);
    }

    [Fact]
    public async Task The_rescuer_retries_a_lost_workers_job_with_back_off_or_fails_it_when_no_attempt_is_left()
    {
        await using var host = new WorkerHost(o => o.Backoff = new BackoffPolicy(TimeSpan.FromSeconds(4), 2, TimeSpan.FromHours(1), 0));
        var (time, store, rescuer) = (host.Time, host.Store, host.Hosted<Rescuer>());
        var retried = store.Add("k", maxAttempts: 3);
        var exhausted = store.Add("k", maxAttempts: 1);
        var alive = store.Add("k");
        store.ClaimAs(retried.Id, "dead", TimeSpan.FromSeconds(30));
        store.ClaimAs(exhausted.Id, "dead", TimeSpan.FromSeconds(30));
        time.Advance(TimeSpan.FromSeconds(20));
        store.ClaimAs(alive.Id, "alive", TimeSpan.FromSeconds(30));
        time.Advance(TimeSpan.FromSeconds(11));

        Assert.Equal(2, await rescuer.RescueAsync(default));
        Assert.Equal((JobState.Scheduled, time.GetUtcNow().AddSeconds(4), "WorkerLost"), (store[retried.Id].State, store[retried.Id].RunAt, store[retried.Id].Errors[0].Type));
        Assert.Equal(JobState.Failed, store[exhausted.Id].State);
        Assert.Equal(JobState.Running, store[alive.Id].State);
        Assert.All(store.Applied, o => Assert.Equal(OutcomeReason.Rescued, o.Reason));
    }

    [Fact]
    public async Task Readiness_reports_a_failed_start_and_tries_again_on_the_next_use()
    {
        var migrator = new FlakyMigrator { FailuresLeft = 1 };
        var readiness = new StoreReadiness(migrator, new LocalNotifier(), Options.Create(new ConveyorOptions()), NullLogger<StoreReadiness>.Instance);
        var error = await Assert.ThrowsAsync<StoreUnavailableException>(() => readiness.EnsureReadyAsync(default));
        Assert.False(readiness.IsReady);
        Assert.Equal(error.Message, readiness.LastError);

        await readiness.EnsureReadyAsync(default);
        Assert.True(readiness.IsReady);
        Assert.Null(readiness.LastError);
        await readiness.EnsureReadyAsync(default);
        Assert.Equal(2, migrator.Calls);
    }

    private sealed class FlakyMigrator : IStoreMigrator
    {
        public int FailuresLeft { get; set; }
        public int Calls { get; private set; }

        public Task MigrateAsync(CancellationToken ct)
        {
            Calls++;
            return FailuresLeft-- > 0 ? Task.FromException(new StoreUnavailableException("database is starting up")) : Task.CompletedTask;
        }
    }
}
