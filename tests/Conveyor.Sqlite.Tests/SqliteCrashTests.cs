using Conveyor.Sqlite;
using Conveyor.Storage;
using Conveyor.TestSupport;
using Microsoft.Data.Sqlite;
using Xunit;
using Xunit.Abstractions;

namespace Conveyor.Sqlite.Tests;

/// <summary>The kill test on one SQLite file shared by two worker processes.</summary>
public sealed class SqliteCrashTests(ITestOutputHelper output) : IDisposable
{
    private readonly TempDirectory _dir = new("conveyor-sqlite-crash");

    [Fact]
    public async Task Kill_test_random_SIGKILLs_for_15_seconds_lose_nothing_and_the_file_stays_sound()
    {
        var path = _dir.File("crash.db");
        await using var store = new SqliteStore(path);
        await store.MigrateAsync(default);
        await SqliteTestDb.ExecuteAsync(path, "CREATE TABLE test_executions (job_id INTEGER NOT NULL, attempt INTEGER NOT NULL, worker_id TEXT NOT NULL)");
        var env = new Dictionary<string, string> { ["CONVEYOR_TEST_SIDE_DATABASE"] = path };
        await using var fleet = new WorkerFleet(id => ["work", "--database", path, "--worker-id", id, "--lease", "2s", "--rescue-interval", "500ms",
            "--concurrency", "8", "--poll-interval", "200ms", "--handlers", RepoPaths.TestHandlersDll], env);
        await fleet.StartAsync(2);

        // 25 ms a job over 16 slots: the drain spans the killing window.
        var now = DateTimeOffset.UtcNow;
        var rows = Enumerable.Range(0, 5000).Select(_ => new JobInsertRow("test.record", "default", """{"sleepMs":25}""", 0, 20, now)).ToList();
        await store.JobInsertManyAsync(new JobInsertManyParams(rows, now), default);

        var killing = DateTime.UtcNow.AddSeconds(15);
        while (DateTime.UtcNow < killing)
        {
            await Task.Delay(1000);
            await fleet.KillRandomAndReplaceAsync();
        }
        var deadline = DateTime.UtcNow.AddSeconds(120);
        while ((long)(await SqliteTestDb.ScalarAsync(path, "SELECT COUNT(*) FROM conveyor_jobs WHERE state = 'completed'"))! < 5000)
        {
            Assert.True(DateTime.UtcNow < deadline, fleet.Output[^Math.Min(4000, fleet.Output.Length)..]);
            await Task.Delay(250);
        }
        await fleet.StopAllAsync();

        Assert.Equal(5000L, await SqliteTestDb.ScalarAsync(path, "SELECT COUNT(DISTINCT job_id) FROM test_executions"));
        Assert.Equal(0L, await SqliteTestDb.ScalarAsync(path, "SELECT COUNT(*) FROM conveyor_jobs WHERE state <> 'completed'"));
        Assert.Equal("ok", await SqliteTestDb.ScalarAsync(path, "PRAGMA integrity_check"));
        Assert.DoesNotContain("database is locked", fleet.Output);
        Assert.DoesNotContain("SQLITE_BUSY", fleet.Output);
        var executions = (long)(await SqliteTestDb.ScalarAsync(path, "SELECT COUNT(*) FROM test_executions"))!;
        var rescued = (long)(await SqliteTestDb.ScalarAsync(path, "SELECT COUNT(*) FROM conveyor_jobs WHERE errors LIKE '%WorkerLost%'"))!;
        foreach (var line in fleet.Timeline)
            output.WriteLine(line);
        output.WriteLine($"kill test (SQLite): {fleet.Killed} workers SIGKILLed, 5000 jobs completed, {executions} executions, {executions - 5000} duplicates (at-least-once), {rescued} jobs rescued");
        Assert.True(fleet.Killed >= 5, $"only {fleet.Killed} kills");
        Assert.True(rescued > 0, "no kill hit a running job");
    }

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        _dir.Dispose();
    }
}
