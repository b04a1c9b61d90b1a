using Conveyor.Conformance;
using Conveyor.Testing;
using Conveyor.TestSupport;
using Microsoft.Extensions.DependencyInjection;
using Xunit;

namespace Conveyor.Postgres.Tests;

/// <summary>
/// Decisions that compare times written on different machines (lease expiry, due run_at) use the database's
/// clock, so a node whose clock runs ahead neither rescues the live jobs of others nor starts delayed jobs early.
/// </summary>
public sealed class PostgresClockSkewTests : IAsyncLifetime
{
    private readonly string _schema = PostgresTestSchemas.NewSchema();
    private readonly List<IAsyncDisposable> _disposables = [];

    public static string? SkipReason => PostgresServer.UnavailableReason;

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        foreach (var disposable in Enumerable.Reverse(_disposables))
            await disposable.DisposeAsync();
    }

    private async Task<ConveyorTestHost> StartAsync(TimeProvider clock, string workerId, string queue)
    {
        var store = await PostgresTestSchemas.CreateStoreAsync(_schema);
        var host = new ConveyorTestHost(store, o =>
        {
            o.WorkerId = workerId;
            o.Queues = [queue];
            o.Lease = TimeSpan.FromSeconds(2);
            o.RescueInterval = TimeSpan.FromMilliseconds(100);
            o.PollInterval = TimeSpan.FromMilliseconds(100);
            o.AddHandler<NapArgs, NapHandler>("test.nap");
        }, services => services.AddSingleton(clock));
        _disposables.Add(host);
        await host.StartAsync();
        return host;
    }

    [StoreFact]
    public async Task A_node_whose_clock_runs_30s_ahead_neither_rescues_live_jobs_nor_starts_delayed_ones_early()
    {
        var honest = await StartAsync(TimeProvider.System, "honest", "long");
        var ahead = await StartAsync(new SkewedClock(TimeSpan.FromSeconds(30)), "ahead", "delayed");

        // Long jobs held by the honest node: each outlives its 2 s lease several times, kept alive by heartbeats
        // that the node ahead (its rescuer runs every 100 ms) must not second-guess.
        var longJobs = await honest.Client.EnqueueManyAsync(
            [.. Enumerable.Range(0, 3).Select(_ => new JobRequest("test.nap", """{"ms":5000}""", new EnqueueOptions { Queue = "long" }))]);
        // A delayed job that only the node ahead works.
        var delayed = (await honest.Client.EnqueueKindAsync("test.nap", """{"ms":0}""", new EnqueueOptions { Queue = "delayed", Delay = TimeSpan.FromSeconds(3) })).Id;

        foreach (var id in longJobs.Select(r => r.Id))
        {
            var job = await honest.Client.WaitAsync(id, TimeSpan.FromSeconds(60));
            Assert.Equal(JobState.Completed, job.State);
            Assert.Equal(1, job.Attempt);
            Assert.Empty(job.Errors);
            Assert.Equal("honest", job.WorkerId);
        }
        var late = await honest.Client.WaitAsync(delayed, TimeSpan.FromSeconds(60));
        Assert.Equal(JobState.Completed, late.State);
        Assert.Equal("ahead", late.WorkerId);
        // Both times were stamped by the database: the job did not start before its delay had passed.
        Assert.True(late.StartedAt >= late.CreatedAt.AddSeconds(3), $"created {late.CreatedAt:O}, started {late.StartedAt:O}");
    }

    private sealed class SkewedClock(TimeSpan skew) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => System.GetUtcNow() + skew;
    }

    public sealed record NapArgs(int Ms);

    public sealed class NapHandler : IJobHandler<NapArgs>
    {
        public async Task<JobResult> HandleAsync(JobContext<NapArgs> job, CancellationToken ct)
        {
            await Task.Delay(job.Args.Ms, ct);
            return JobResult.Completed();
        }
    }
}
