using Conveyor.Postgres;
using Conveyor.Storage;
using Conveyor.Conformance;
using Conveyor.Testing;
using Conveyor.TestSupport;
using Npgsql;
using Xunit;
using static Conveyor.Postgres.Tests.Sql;
using Xunit.Abstractions;

namespace Conveyor.Postgres.Tests;

/// <summary>
/// Nothing lost, nothing stuck, on real PostgreSQL with real worker processes: SIGKILL, server restart,
/// SIGTERM, and SIGSTOP past the lease. Bounded in time; leases are short so that rescues come quickly.
/// </summary>
public sealed class PostgresCrashTests(ITestOutputHelper output)
{
    public static string? SkipReason => PostgresServer.UnavailableReason;

    private static async Task<(string Database, PostgresStore Store)> NewDatabaseAsync(PostgresServer server)
    {
        var database = await server.CreateDatabaseAsync("crash");
        var store = new PostgresStore(database);
        await store.MigrateAsync(default);
        await ExecuteAsync(database, "CREATE TABLE test_executions (job_id bigint NOT NULL, attempt int NOT NULL, worker_id text NOT NULL)");
        return (database, store);
    }

    private static async Task<List<long>> EnqueueAsync(IConveyorStore store, int count, int sleepMs)
    {
        var now = DateTimeOffset.UtcNow;
        var rows = Enumerable.Range(0, count).Select(_ => new JobInsertRow("test.record", "default", $$"""{"sleepMs":{{sleepMs}}}""", 0, 20, now)).ToList();
        return [.. (await store.JobInsertManyAsync(new JobInsertManyParams(rows, now), default)).Select(r => r.Id)];
    }

    private static async Task WaitAllCompletedAsync(IConveyorStore store, int count, TimeSpan timeout, Func<string> diagnostics)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            QueueStats? stats = null;
            try
            {
                stats = (await store.QueueStatsAsync(new QueueStatsParams(DateTimeOffset.UtcNow), default)).SingleOrDefault();
            }
            catch (Exception) when (DateTime.UtcNow < deadline)
            {
                // The server may be restarting.
            }
            if (stats?.Count(JobState.Completed) == count)
                return;
            Assert.True(DateTime.UtcNow < deadline, $"not all {count} completed: {(stats is null ? "-" : string.Join(", ", stats.Counts))}\n{diagnostics()}");
            await Task.Delay(250);
        }
    }

    private static string[] WorkArgs(string database, string workerId, string lease = "2s") =>
        ["work", "--database", database, "--worker-id", workerId, "--lease", lease, "--rescue-interval", "500ms", "--concurrency", "8",
         "--poll-interval", "500ms", "--shutdown-timeout", "300ms", "--handlers", RepoPaths.TestHandlersDll];

    [StoreFact]
    public async Task Kill_test_random_SIGKILLs_for_15_seconds_lose_nothing()
    {
        var server = await PostgresServer.GetAsync();
        var (database, store) = await NewDatabaseAsync(server);
        await using var _ = store;
        var env = new Dictionary<string, string> { ["CONVEYOR_TEST_SIDE_DATABASE"] = database };
        await using var fleet = new WorkerFleet(id => WorkArgs(database, id), env);
        await fleet.StartAsync(3);
        // 40 ms a job over 24 slots: the drain spans the whole killing window.
        await EnqueueAsync(store, 5000, 40);

        var killing = DateTime.UtcNow.AddSeconds(15);
        while (DateTime.UtcNow < killing)
        {
            await Task.Delay(1000);
            await fleet.KillRandomAndReplaceAsync();
        }
        await WaitAllCompletedAsync(store, 5000, TimeSpan.FromSeconds(120), () => fleet.Output[^Math.Min(4000, fleet.Output.Length)..]);
        await fleet.StopAllAsync();

        Assert.Equal(0, await CountAsync(database, "SELECT count(*) FROM conveyor.jobs WHERE state IN ('queued', 'running', 'scheduled')"));
        Assert.Equal(5000, await CountAsync(database, "SELECT count(DISTINCT job_id) FROM test_executions"));
        var executions = await CountAsync(database, "SELECT count(*) FROM test_executions");
        var rescued = await CountAsync(database, "SELECT count(*) FROM conveyor.jobs WHERE errors @> '[{\"type\":\"WorkerLost\"}]'");
        foreach (var line in fleet.Timeline)
            output.WriteLine(line);
        output.WriteLine($"kill test (PostgreSQL): {fleet.Killed} workers SIGKILLed, 5000 jobs completed, {executions} executions, {executions - 5000} duplicates (at-least-once), {rescued} jobs rescued");
        Assert.True(fleet.Killed >= 5, $"only {fleet.Killed} kills");
        Assert.True(rescued > 0, "no kill hit a running job");
    }

    [StoreFact]
    public async Task Restart_test_server_restart_mid_drain_loses_nothing()
    {
        var server = await PostgresServer.StartNewAsync(allowExternal: false);
        try
        {
            var (database, store) = await NewDatabaseAsync(server);
            await using var _ = store;
            var env = new Dictionary<string, string> { ["CONVEYOR_TEST_SIDE_DATABASE"] = database };
            await using var fleet = new WorkerFleet(id => WorkArgs(database, id, lease: "3s"), env);
            await fleet.StartAsync(2);
            await EnqueueAsync(store, 5000, 2);

            var deadline = DateTime.UtcNow.AddSeconds(60);
            while (await CountAsync(database, "SELECT count(*) FROM conveyor.jobs WHERE state = 'completed'") < 1000)
            {
                Assert.True(DateTime.UtcNow < deadline, "the drain never got going");
                await Task.Delay(50);
            }
            await server.RestartAsync(TimeSpan.FromSeconds(2));
            NpgsqlConnection.ClearAllPools();

            await WaitAllCompletedAsync(store, 5000, TimeSpan.FromSeconds(120), () => fleet.Output[^Math.Min(4000, fleet.Output.Length)..]);
            Assert.All(fleet.Live, w => Assert.False(w.HasExited, "a worker died with the server"));
            Assert.Contains("LISTEN connection", fleet.Output);
            await fleet.StopAllAsync();
            Assert.Equal(5000, await CountAsync(database, "SELECT count(DISTINCT job_id) FROM test_executions"));
            Assert.Equal(0, await CountAsync(database, "SELECT count(*) FROM conveyor.jobs WHERE state <> 'completed'"));
            output.WriteLine($"restart test: 5000 jobs completed after a server restart, {await CountAsync(database, "SELECT count(*) FROM test_executions") - 5000} duplicates");
        }
        finally
        {
            await server.StopAsync();
        }
    }

    [StoreFact]
    public async Task Graceful_test_SIGTERM_hands_jobs_back_at_once_and_another_worker_completes_them()
    {
        var server = await PostgresServer.GetAsync();
        var (database, store) = await NewDatabaseAsync(server);
        await using var _ = store;
        var env = new Dictionary<string, string> { ["CONVEYOR_TEST_SIDE_DATABASE"] = database };
        await using var first = ChildProcess.Cli(WorkArgs(database, "graceful-1", lease: "30s"), env);
        await first.WaitForOutputAsync("Conveyor work started", TimeSpan.FromSeconds(60));
        // 8 s jobs: they cannot end by themselves between being seen running and the SIGTERM taking effect, however
        // loaded the machine (with 3 s jobs, one completed inside that window once under the full suite's load).
        var ids = await EnqueueAsync(store, 4, 8000);
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (await CountAsync(database, "SELECT count(*) FROM conveyor.jobs WHERE state = 'running'") < 4)
        {
            Assert.True(DateTime.UtcNow < deadline, first.Output);
            await Task.Delay(50);
        }

        first.Signal(15);
        Assert.Equal(0, await first.WaitForExitAsync(TimeSpan.FromSeconds(20)));
        // Back in the queue at once, not after the 30 s lease, and no attempt charged.
        Assert.Equal(4, await CountAsync(database, "SELECT count(*) FROM conveyor.jobs WHERE state = 'queued' AND attempt = 0 AND worker_id IS NULL"));

        // A long lease here: this test is about the hand-back, not about rescues under a loaded machine.
        await using var second = ChildProcess.Cli(WorkArgs(database, "graceful-2", lease: "30s"), env);
        await WaitAllCompletedAsync(store, 4, TimeSpan.FromSeconds(60), () => second.Output);
        Assert.Equal(4, await CountAsync(database, "SELECT count(*) FROM conveyor.jobs WHERE worker_id = 'graceful-2' AND attempt = 1"));
    }

    [StoreFact]
    public async Task Fencing_test_a_worker_frozen_past_its_lease_cannot_overwrite_the_newer_attempt()
    {
        var server = await PostgresServer.GetAsync();
        var (database, store) = await NewDatabaseAsync(server);
        await using var _ = store;
        var env = new Dictionary<string, string> { ["CONVEYOR_TEST_SIDE_DATABASE"] = database };
        await using var frozen = ChildProcess.Cli(WorkArgs(database, "frozen"), env);
        await frozen.WaitForOutputAsync("Conveyor work started", TimeSpan.FromSeconds(60));
        var id = (await EnqueueAsync(store, 1, 3000))[0];
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while ((await store.JobGetAsync(id, default))!.State != JobState.Running)
        {
            Assert.True(DateTime.UtcNow < deadline, frozen.Output);
            await Task.Delay(20);
        }

        frozen.Signal(19); // SIGSTOP: a long GC pause, a frozen VM
        try
        {
            // Only the frozen worker's lease must be short; the rescuer's own job must not be rescued in turn.
            await using var rescuer = ChildProcess.Cli(WorkArgs(database, "rescuer", lease: "30s"), env);
            var job = await WaitForAsync(store, id, j => j.State == JobState.Completed, TimeSpan.FromSeconds(60), () => rescuer.Output);
            Assert.Equal(("rescuer", 2), (job.WorkerId, job.Attempt));
            Assert.Equal("WorkerLost", Assert.Single(job.Errors).Type);
        }
        finally
        {
            frozen.Signal(18); // SIGCONT
        }

        // The frozen worker wakes, finds its attempt gone, and its late outcome is rejected.
        await frozen.WaitForOutputAsync("rejected", TimeSpan.FromSeconds(20));
        await Task.Delay(500);
        var final = (await store.JobGetAsync(id, default))!;
        Assert.Equal((JobState.Completed, "rescuer", 2), (final.State, final.WorkerId, final.Attempt));
    }

    private static async Task<Job> WaitForAsync(IConveyorStore store, long id, Func<Job, bool> condition, TimeSpan timeout, Func<string> diagnostics)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            var job = (await store.JobGetAsync(id, default))!;
            if (condition(job))
                return job;
            Assert.True(DateTime.UtcNow < deadline, $"job {id} is {job.State} (attempt {job.Attempt}, worker {job.WorkerId})\n{diagnostics()}");
            await Task.Delay(100);
        }
    }
}
