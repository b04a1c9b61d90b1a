using Conveyor.Sqlite;
using Conveyor.Storage;
using Conveyor.TestSupport;
using Microsoft.Data.Sqlite;
using Xunit;

namespace Conveyor.Sqlite.Tests;

/// <summary>Several real `conveyor work` processes on one SQLite file.</summary>
public sealed class SqliteMultiProcessTests : IDisposable
{
    private readonly TempDirectory _dir = new("conveyor-sqlite-mp");

    [Fact]
    public async Task Two_worker_processes_with_8_slots_each_run_each_of_5000_jobs_exactly_once()
    {
        var path = _dir.File("shared.db");
        await using var store = new SqliteStore(path);
        await store.MigrateAsync(default);
        await SqliteTestDb.ExecuteAsync(path, "CREATE TABLE test_executions (job_id INTEGER NOT NULL, attempt INTEGER NOT NULL, worker_id TEXT NOT NULL)");

        var env = new Dictionary<string, string> { ["CONVEYOR_TEST_SIDE_DATABASE"] = path };
        string[] Args(string id) => ["work", "--database", path, "--concurrency", "8", "--poll-interval", "200ms", "--worker-id", id, "--handlers", RepoPaths.TestHandlersDll];
        await using var first = ChildProcess.Cli(Args("proc-a"), env);
        await using var second = ChildProcess.Cli(Args("proc-b"), env);
        await first.WaitForOutputAsync("Conveyor work started", TimeSpan.FromSeconds(60));
        await second.WaitForOutputAsync("Conveyor work started", TimeSpan.FromSeconds(60));

        var now = DateTimeOffset.UtcNow;
        var rows = Enumerable.Range(0, 5000).Select(_ => new JobInsertRow("test.record", "default", "{}", 0, 3, now)).ToList();
        await store.JobInsertManyAsync(new JobInsertManyParams(rows, now), default);

        var deadline = DateTime.UtcNow.AddSeconds(120);
        while (true)
        {
            var stats = (await store.QueueStatsAsync(new QueueStatsParams(DateTimeOffset.UtcNow), default)).Single();
            if (stats.Count(JobState.Completed) == 5000)
                break;
            Assert.True(DateTime.UtcNow < deadline, $"not drained: {string.Join(", ", stats.Counts)}\n{first.Output}\n{second.Output}");
            await Task.Delay(200);
        }

        first.Signal(15);
        second.Signal(15);
        Assert.Equal(0, await first.WaitForExitAsync(TimeSpan.FromSeconds(30)));
        Assert.Equal(0, await second.WaitForExitAsync(TimeSpan.FromSeconds(30)));

        Assert.Equal(5000L, await SqliteTestDb.ScalarAsync(path, "SELECT COUNT(*) FROM test_executions"));
        Assert.Equal(5000L, await SqliteTestDb.ScalarAsync(path, "SELECT COUNT(DISTINCT job_id) FROM test_executions"));
        Assert.Equal(2L, await SqliteTestDb.ScalarAsync(path, "SELECT COUNT(DISTINCT worker_id) FROM test_executions"));
        Assert.Equal(0L, await SqliteTestDb.ScalarAsync(path, "SELECT COUNT(*) FROM conveyor_jobs WHERE state <> 'completed' OR attempt <> 1"));
        Assert.Equal("ok", await SqliteTestDb.ScalarAsync(path, "PRAGMA integrity_check"));
        Assert.DoesNotContain("database is locked", first.Output + second.Output);
        Assert.DoesNotContain("SQLITE_BUSY", first.Output + second.Output);
    }

    [Fact]
    public async Task Processes_migrating_one_file_at_once_all_succeed()
    {
        var path = _dir.File("migrate.db");
        var runs = Enumerable.Range(0, 4).Select(_ => ChildProcess.RunCliAsync(["migrate", "--database", path])).ToList();
        foreach (var (code, _, output) in await Task.WhenAll(runs))
            Assert.True(code == 0, output);
        Assert.Equal("wal", await SqliteTestDb.ScalarAsync(path, "PRAGMA journal_mode"));
        // One row per embedded migration file, each applied once.
        var files = typeof(SqliteStore).Assembly.GetManifestResourceNames().Count(n => n.Contains(".Migrations.", StringComparison.Ordinal));
        Assert.True(files >= 5);
        Assert.Equal((long)files, await SqliteTestDb.ScalarAsync(path, "SELECT COUNT(*) FROM conveyor_migrations"));
    }

    [Fact]
    public async Task A_database_from_a_newer_Conveyor_is_refused_clearly()
    {
        var path = _dir.File("newer.db");
        await using var store = new SqliteStore(path);
        await store.MigrateAsync(default);
        await SqliteTestDb.ExecuteAsync(path, "INSERT INTO conveyor_migrations (version, name, applied_at) VALUES (9999, '9999_future', '2099-01-01T00:00:00.000000Z')");
        var error = await Assert.ThrowsAsync<StoreVersionException>(() => new SqliteStore(path).MigrateAsync(default));
        Assert.Contains("9999", error.Message);
    }

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        _dir.Dispose();
    }
}

/// <summary>Two processes on one SQLite file run a schedule that ticks every second: one job per tick, none missing.</summary>
public sealed class SqliteScheduleProcessTests : IDisposable
{
    private readonly TempDirectory _dir = new("conveyor-sqlite-cron");

    [Fact]
    public async Task Two_processes_schedule_one_job_per_tick_for_12_seconds()
    {
        var path = _dir.File("cron.db");
        await using var store = new SqliteStore(path);
        await store.MigrateAsync(default);
        await Conformance.ScheduleProof.DefineAsync(store);
        var workers = Enumerable.Range(0, 2).Select(i => ChildProcess.Cli(["work", "--database", path, "--worker-id", $"cron-{i}"])).ToList();
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
        var ticks = await Conformance.ScheduleProof.AssertOneJobPerTickAsync(store, atLeast: 10);
        Console.WriteLine($"SQLite, 2 processes: {ticks} ticks, one job each");
    }

    public void Dispose()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        _dir.Dispose();
    }
}
