using Conveyor.Postgres;
using Conveyor.Storage;
using Conveyor.Conformance;
using Conveyor.TestSupport;
using Npgsql;
using Xunit;
using Xunit.Abstractions;
using static Conveyor.Postgres.Tests.Sql;

namespace Conveyor.Postgres.Tests;

/// <summary>Queue limits held by real `conveyor work` processes sharing one PostgreSQL, watched from SQL.</summary>
public sealed class PostgresLimitProcessTests(ITestOutputHelper output)
{
    public static string? SkipReason => PostgresServer.UnavailableReason;

    private static async Task<(string Database, PostgresStore Store)> NewDatabaseAsync()
    {
        var server = await PostgresServer.GetAsync();
        var database = await server.CreateDatabaseAsync("limits");
        var store = new PostgresStore(database);
        await store.MigrateAsync(default);
        await ExecuteAsync(database, "CREATE TABLE test_executions (job_id bigint NOT NULL, attempt int NOT NULL, worker_id text NOT NULL)");
        return (database, store);
    }

    private static ChildProcess Worker(string database, string id, int concurrency = 8, string lease = "30s") => ChildProcess.Cli(
        ["work", "--database", database, "--worker-id", id, "--concurrency", concurrency.ToString(), "--lease", lease, "--rescue-interval", "500ms",
         "--poll-interval", "500ms", "--shutdown-timeout", "300ms", "--handlers", RepoPaths.TestHandlersDll],
        new Dictionary<string, string> { ["CONVEYOR_TEST_SIDE_DATABASE"] = database });

    private static JobInsertRow Job(int sleepMs, string? key = null, int priority = 0) =>
        new("test.record", "default", $$"""{"sleepMs":{{sleepMs}}}""", priority, 5, DateTimeOffset.UtcNow, null, key, null, [], null);

    private static async Task<List<long>> EnqueueAsync(IConveyorStore store, IEnumerable<JobInsertRow> rows) =>
        [.. (await store.JobInsertManyAsync(new JobInsertManyParams([.. rows]), default)).Select(r => r.Id)];

    private static async Task StopAsync(List<ChildProcess> workers)
    {
        foreach (var worker in workers)
            worker.Signal(15);
        foreach (var worker in workers)
            await worker.DisposeAsync();
    }

    [StoreFact]
    public async Task Three_processes_under_a_limit_of_4_never_run_more_than_4_and_drain_everything()
    {
        var (database, store) = await NewDatabaseAsync();
        await using var _ = store;
        await store.QueueLimitsAsync(new QueueLimitsParams("default", new QueueLimits(Concurrency: 4)), default);
        var workers = Enumerable.Range(0, 3).Select(i => Worker(database, $"lim-{i}")).ToList();
        try
        {
            foreach (var worker in workers)
                await worker.WaitForOutputAsync("Conveyor work started", TimeSpan.FromSeconds(60));
            await EnqueueAsync(store, Enumerable.Range(0, 150).Select(_ => Job(15)));

            // Sampled from SQL every few milliseconds while the 24 slots compete for 4 places.
            await using var connection = new NpgsqlConnection(database);
            await connection.OpenAsync();
            await using var sample = new NpgsqlCommand(
                "SELECT count(*) FILTER (WHERE state = 'running'), count(*) FILTER (WHERE state = 'completed') FROM conveyor.jobs", connection);
            var (max, samples) = (0L, 0);
            var deadline = DateTime.UtcNow.AddSeconds(90);
            while (true)
            {
                await using var reader = await sample.ExecuteReaderAsync();
                await reader.ReadAsync();
                var (running, completed) = (reader.GetInt64(0), reader.GetInt64(1));
                max = Math.Max(max, running);
                samples++;
                if (completed == 150)
                    break;
                Assert.True(DateTime.UtcNow < deadline, $"not drained: {completed} of 150\n{string.Join("\n", workers.Select(w => w.Output))}");
                await Task.Delay(3);
            }
            var byWorker = await CountAsync(database, "SELECT count(DISTINCT worker_id) FROM test_executions");
            output.WriteLine($"{samples} samples, at most {max} running; {byWorker} processes ran jobs");
            Assert.True(max <= 4, $"{max} jobs ran at once under a limit of 4");
            Assert.Equal(4, max);   // the limit was reached, so the sampling could have seen a breach
            Assert.Equal(150, await CountAsync(database, "SELECT count(DISTINCT job_id) FROM test_executions"));
        }
        finally
        {
            await StopAsync(workers);
        }
    }

    [StoreFact]
    public async Task With_a_per_key_limit_two_small_tenants_finish_long_before_a_big_one_queued_ahead_of_them()
    {
        var (database, store) = await NewDatabaseAsync();
        await using var _ = store;
        await store.QueueLimitsAsync(new QueueLimitsParams("default", new QueueLimits(PerKey: 2)), default);
        await EnqueueAsync(store, Enumerable.Range(0, 200).Select(_ => Job(10, "tenant-big")));
        await EnqueueAsync(store, Enumerable.Range(0, 10).Select(_ => Job(10, "tenant-a")));
        await EnqueueAsync(store, Enumerable.Range(0, 10).Select(_ => Job(10, "tenant-b")));
        var workers = new List<ChildProcess> { Worker(database, "tenants") };
        try
        {
            var deadline = DateTime.UtcNow.AddSeconds(120);
            while ((await store.QueueStatsAsync(new QueueStatsParams(), default)).Single().Count(JobState.Completed) < 220)
            {
                Assert.True(DateTime.UtcNow < deadline, "not drained\n" + workers[0].Output);
                await Task.Delay(100);
            }
        }
        finally
        {
            await StopAsync(workers);
        }
        // How much of the big tenant had completed when each small one was done.
        var bigDoneWhenSmallFinished = await CountAsync(database, """
            SELECT count(*) FROM conveyor.jobs
            WHERE concurrency_key = 'tenant-big'
              AND finished_at <= (SELECT max(finished_at) FROM conveyor.jobs WHERE concurrency_key IN ('tenant-a', 'tenant-b'))
            """);
        output.WriteLine($"the small tenants were done when {bigDoneWhenSmallFinished} of the big tenant's 200 jobs were");
        Assert.True(bigDoneWhenSmallFinished < 100, $"the small tenants waited behind {bigDoneWhenSmallFinished} of the big tenant's jobs");
    }

    [StoreFact]
    public async Task A_SIGKILLed_workers_places_come_back_after_the_rescue()
    {
        var (database, store) = await NewDatabaseAsync();
        await using var _ = store;
        await store.QueueLimitsAsync(new QueueLimitsParams("default", new QueueLimits(Concurrency: 2)), default);
        var doomed = Worker(database, "doomed", lease: "2s");
        var workers = new List<ChildProcess>();
        try
        {
            await doomed.WaitForOutputAsync("Conveyor work started", TimeSpan.FromSeconds(60));
            var slow = await EnqueueAsync(store, [Job(60_000), Job(60_000)]);
            var deadline = DateTime.UtcNow.AddSeconds(30);
            while ((await store.QueueStatsAsync(new QueueStatsParams(), default)).Single().Count(JobState.Running) < 2)
            {
                Assert.True(DateTime.UtcNow < deadline, "the slow jobs never started\n" + doomed.Output);
                await Task.Delay(50);
            }
            // Both places are held; quick jobs (ahead of the slow ones once those are back in the queue) wait.
            var quick = await EnqueueAsync(store, Enumerable.Range(0, 4).Select(_ => Job(10, priority: 5)));
            doomed.Kill();
            workers.Add(Worker(database, "survivor"));
            deadline = DateTime.UtcNow.AddSeconds(60);
            foreach (var id in quick)
            {
                while ((await store.JobGetAsync(id, default))!.State != JobState.Completed)
                {
                    Assert.True(DateTime.UtcNow < deadline, "the quick jobs never ran: places leaked\n" + workers[0].Output);
                    await Task.Delay(100);
                }
            }
            // The slow ones were rescued and hold the two places again, on the survivor; never more than two running.
            var running = await store.JobListAsync(new JobListParams(JobState.Running), default);
            Assert.True(running.Count <= 2);
            Assert.All(running, j => Assert.Contains(j.Id, slow));
        }
        finally
        {
            await doomed.DisposeAsync();
            await StopAsync(workers);
        }
    }
}
