using Conveyor.Postgres;
using Conveyor.Storage;
using Conveyor.Conformance;
using Conveyor.Testing;
using Conveyor.TestSupport;
using Npgsql;
using Xunit;

namespace Conveyor.Postgres.Tests;

/// <summary>Many real `conveyor work` processes sharing one PostgreSQL.</summary>
public sealed class PostgresMultiProcessTests
{
    public static string? SkipReason => PostgresServer.UnavailableReason;

    [StoreFact]
    public async Task Four_worker_processes_run_each_of_20000_jobs_exactly_once()
    {
        var server = await PostgresServer.GetAsync();
        var database = await server.CreateDatabaseAsync("mp");
        await using var store = new PostgresStore(database);
        await store.MigrateAsync(default);
        await using (var connection = new NpgsqlConnection(database))
        {
            await connection.OpenAsync();
            await using var create = new NpgsqlCommand("CREATE TABLE test_executions (job_id bigint NOT NULL, attempt int NOT NULL, worker_id text NOT NULL)", connection);
            await create.ExecuteNonQueryAsync();
        }

        var env = new Dictionary<string, string> { ["CONVEYOR_TEST_SIDE_DATABASE"] = database };
        var workers = new List<ChildProcess>();
        try
        {
            for (var i = 0; i < 4; i++)
                workers.Add(ChildProcess.Cli(["work", "--database", database, "--concurrency", "16", "--worker-id", $"proc-{i}", "--handlers", RepoPaths.TestHandlersDll], env));
            foreach (var worker in workers)
                await worker.WaitForOutputAsync("Conveyor work started", TimeSpan.FromSeconds(60));

            // Bulk-enqueued in batches of 5,000 rows, one round trip each.
            var now = DateTimeOffset.UtcNow;
            for (var batch = 0; batch < 4; batch++)
            {
                var rows = Enumerable.Range(0, 5000).Select(_ => new JobInsertRow("test.record", "default", "{}", 0, 3, now)).ToList();
                await store.JobInsertManyAsync(new JobInsertManyParams(rows, now), default);
            }

            var deadline = DateTime.UtcNow.AddSeconds(180);
            while (true)
            {
                var stats = (await store.QueueStatsAsync(new QueueStatsParams(DateTimeOffset.UtcNow), default)).Single();
                if (stats.Count(JobState.Completed) == 20_000)
                    break;
                Assert.True(DateTime.UtcNow < deadline, $"not drained: {string.Join(", ", stats.Counts)}\n{string.Join("\n", workers.Select(w => w.Output))}");
                await Task.Delay(250);
            }
            foreach (var worker in workers)
                worker.Signal(15);
            foreach (var worker in workers)
                Assert.Equal(0, await worker.WaitForExitAsync(TimeSpan.FromSeconds(30)));
        }
        finally
        {
            foreach (var worker in workers)
                await worker.DisposeAsync();
        }

        await using var check = new NpgsqlConnection(database);
        await check.OpenAsync();
        async Task<long> Count(string sql)
        {
            await using var command = new NpgsqlCommand(sql, check);
            return (long)(await command.ExecuteScalarAsync())!;
        }
        Assert.Equal(20_000, await Count("SELECT count(*) FROM test_executions"));
        Assert.Equal(20_000, await Count("SELECT count(DISTINCT job_id) FROM test_executions"));
        Assert.Equal(4, await Count("SELECT count(DISTINCT worker_id) FROM test_executions"));
        Assert.Equal(0, await Count("SELECT count(*) FROM conveyor.jobs WHERE state <> 'completed'"));
    }
}

/// <summary>Three processes on one PostgreSQL run a schedule that ticks every second: one job per tick, none missing.</summary>
public sealed class PostgresScheduleProcessTests
{
    public static string? SkipReason => PostgresServer.UnavailableReason;

    [StoreFact]
    public async Task Three_processes_schedule_one_job_per_tick_for_12_seconds()
    {
        var server = await PostgresServer.GetAsync();
        var database = await server.CreateDatabaseAsync("cron");
        await using var store = new PostgresStore(database);
        await store.MigrateAsync(default);
        await ScheduleProof.DefineAsync(store);
        var workers = Enumerable.Range(0, 3).Select(i => ChildProcess.Cli(["work", "--database", database, "--worker-id", $"cron-{i}"])).ToList();
        try
        {
            foreach (var worker in workers)
                await worker.WaitForOutputAsync("Conveyor work started", TimeSpan.FromSeconds(60));
            await Task.Delay(TimeSpan.FromSeconds(12));
        }
        finally
        {
            foreach (var worker in workers)
                worker.Signal(15);
            foreach (var worker in workers)
                await worker.DisposeAsync();
        }
        var ticks = await ScheduleProof.AssertOneJobPerTickAsync(store, atLeast: 10);
        Console.WriteLine($"PostgreSQL, 3 processes: {ticks} ticks, one job each");
    }
}
