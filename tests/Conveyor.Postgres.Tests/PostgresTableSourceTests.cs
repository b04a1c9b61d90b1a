using Conveyor.Conformance;
using Conveyor.Sources;
using Conveyor.TestSupport;
using Npgsql;
using Xunit;
using static Conveyor.Postgres.Tests.Sql;
using Xunit.Abstractions;

namespace Conveyor.Postgres.Tests;

/// <summary>Table sources on a real PostgreSQL: one statement moves rows and enqueues their jobs, whoever polls and whoever dies.</summary>
public sealed class PostgresTableSourceTests(ITestOutputHelper output)
{
    public static string? SkipReason => PostgresServer.UnavailableReason;

    private static TableSourceDefinition Source(string table = "uploaded_files", int batch = 100) => new()
    {
        Name = "reviews", Table = table, StatusColumn = "status", FromStatus = "pending_review", ToStatus = "queued",
        Kind = "review.run", Columns = ["id", "path"], BatchSize = batch, MaxAttempts = 3,
    };

    private static async Task<(string Database, PostgresStore Store)> NewDatabaseAsync(string statusType = "text")
    {
        var database = await (await PostgresServer.GetAsync()).CreateDatabaseAsync("source");
        var store = new PostgresStore(database);
        await store.MigrateAsync(default);
        if (statusType != "text")
            await ExecuteAsync(database, $"CREATE TYPE {statusType} AS ENUM ('pending_review', 'queued', 'done')");
        await ExecuteAsync(database, $"CREATE TABLE uploaded_files (id bigserial PRIMARY KEY, path text NOT NULL, status {statusType} NOT NULL)");
        return (database, store);
    }

    private static Task AddRowsAsync(string database, int count, string status = "pending_review") => ExecuteAsync(database,
        $"INSERT INTO uploaded_files (path, status) SELECT '/uploads/' || g || '.pdf', '{status}' FROM generate_series(1, {count}) AS g");

    [StoreFact]
    public async Task A_poll_moves_a_batch_of_rows_and_enqueues_one_job_per_row_in_one_statement()
    {
        var (database, store) = await NewDatabaseAsync();
        await using var _ = store;
        await AddRowsAsync(database, 250);
        await AddRowsAsync(database, 5, "done");
        var saved = await store.TableSourceUpsertAsync(Source(), default);
        Assert.Equal((0, 0L), (saved.LastMoved, saved.TotalMoved));

        var moved = new List<int>();
        for (var i = 0; i < 4; i++)
            moved.Add(await store.TableSourcePollAsync(Source(), default));
        Assert.Equal([100, 100, 50, 0], moved);
        Assert.Equal(0, await CountAsync(database, "SELECT count(*) FROM uploaded_files WHERE status = 'pending_review'"));
        Assert.Equal(5, await CountAsync(database, "SELECT count(*) FROM uploaded_files WHERE status = 'done'"));
        Assert.Equal(250, await CountAsync(database, """
            SELECT count(*) FROM conveyor.jobs AS j JOIN uploaded_files AS f ON (j.args->>'id')::bigint = f.id AND j.args->>'path' = f.path
            WHERE j.kind = 'review.run' AND j.state = 'queued' AND j.max_attempts = 3 AND 'source:reviews' = ANY (j.tags)
            """));
        var info = Assert.Single(await store.TableSourceListAsync(default));
        Assert.Equal((0, 250L), (info.LastMoved, info.TotalMoved));
        Assert.NotNull(info.LastPolledAt);
        var queued = Assert.Single(await store.QueueStatsAsync(new Storage.QueueStatsParams(), default));
        Assert.Equal(250, queued.Count(JobState.Queued));
    }

    [StoreFact]
    public async Task An_enum_status_column_works_and_two_stores_polling_at_once_take_each_row_once()
    {
        var (database, store) = await NewDatabaseAsync("file_status");
        await using var _ = store;
        await using var other = new PostgresStore(database);
        await AddRowsAsync(database, 2000);
        await store.TableSourceUpsertAsync(Source(batch: 37), default);
        async Task DrainAsync(PostgresStore s)
        {
            while (await s.TableSourcePollAsync(Source(batch: 37), default) > 0)
            {
            }
        }
        await Task.WhenAll(DrainAsync(store), DrainAsync(other), DrainAsync(store), DrainAsync(other));
        Assert.Equal(0, await CountAsync(database, "SELECT count(*) FROM uploaded_files WHERE status <> 'queued'"));
        Assert.Equal(2000, await CountAsync(database, "SELECT count(*) FROM conveyor.jobs"));
        Assert.Equal(2000, await CountAsync(database, "SELECT count(DISTINCT args->>'id') FROM conveyor.jobs"));
    }

    [StoreFact]
    public async Task Names_that_could_change_the_statement_are_refused_and_values_are_only_ever_bound()
    {
        var (database, store) = await NewDatabaseAsync();
        await using var _ = store;
        await AddRowsAsync(database, 3);
        foreach (var bad in new[]
        {
            Source("uploaded_files; DROP TABLE uploaded_files"), Source("\"uploaded_files\""), Source("a.b.c"), Source("1files"),
            Source() with { StatusColumn = "status\" = 'x' --" }, Source() with { KeyColumn = "id) OR (1=1" },
            Source() with { Columns = ["id", "path, (SELECT current_user)"] }, Source() with { FromStatus = "queued" },
            Source() with { Interval = TimeSpan.FromMilliseconds(10) }, Source() with { BatchSize = 0 }, Source() with { Kind = "bad kind" },
        })
        {
            await Assert.ThrowsAsync<JobValidationException>(() => store.TableSourceUpsertAsync(bad, default));
            await Assert.ThrowsAsync<JobValidationException>(() => store.TableSourcePollAsync(bad, default));
        }
        Assert.Contains("does not exist", (await Assert.ThrowsAsync<JobValidationException>(() => store.TableSourceUpsertAsync(Source("nope"), default))).Message);
        Assert.Contains("'size'", (await Assert.ThrowsAsync<JobValidationException>(() => store.TableSourceUpsertAsync(Source() with { Columns = ["id", "size"] }, default))).Message);
        Assert.Empty(await store.TableSourceListAsync(default));

        // A status is a value: bound, never spliced, so SQL in it is just a status no row has.
        var sneaky = Source() with { FromStatus = "pending_review'; DROP TABLE uploaded_files; --" };
        await store.TableSourceUpsertAsync(sneaky, default);
        Assert.Equal(0, await store.TableSourcePollAsync(sneaky, default));
        Assert.Equal(3, await CountAsync(database, "SELECT count(*) FROM uploaded_files WHERE status = 'pending_review'"));
    }

    [StoreFact]
    public async Task The_cli_adds_lists_runs_and_removes_a_source()
    {
        var (database, store) = await NewDatabaseAsync();
        await using var _ = store;
        await AddRowsAsync(database, 30);
        string[] Cli(params string[] args) => [.. args, "--database", database];
        var add = await ChildProcess.RunCliAsync(Cli("sources", "add", "reviews", "--table", "uploaded_files", "--status-column", "status",
            "--from", "pending_review", "--to", "queued", "--kind", "demo.noop", "--every", "1h"));
        Assert.True(add.ExitCode == 0, add.All);
        var run = await ChildProcess.RunCliAsync(Cli("sources", "run", "reviews", "--json"));
        Assert.True(run.ExitCode == 0, run.All);
        Assert.Contains("\"moved\":30", run.Stdout);
        var list = await ChildProcess.RunCliAsync(Cli("sources", "list", "--json"));
        Assert.Contains("\"totalMoved\":30", list.Stdout);
        Assert.Equal(30, await CountAsync(database, "SELECT count(*) FROM conveyor.jobs WHERE args ? 'id' AND NOT args ? 'path'"));
        var bad = await ChildProcess.RunCliAsync(Cli("sources", "add", "bad", "--table", "uploaded_files; DROP TABLE x", "--status-column", "status",
            "--from", "a", "--to", "b", "--kind", "demo.noop"));
        Assert.Equal(2, bad.ExitCode);
        Assert.Contains("plain name", bad.All);
        Assert.Equal(0, (await ChildProcess.RunCliAsync(Cli("sources", "remove", "reviews"))).ExitCode);
        Assert.Equal(2, (await ChildProcess.RunCliAsync(Cli("sources", "run", "reviews"))).ExitCode);
    }

    [StoreFact]
    public async Task Kill_test_workers_SIGKILLed_while_they_poll_lose_and_double_no_row()
    {
        var (database, store) = await NewDatabaseAsync();
        await using var _ = store;
        var add = await ChildProcess.RunCliAsync(["sources", "add", "uploads", "--database", database, "--table", "public.uploaded_files",
            "--status-column", "status", "--from", "pending_review", "--to", "queued", "--kind", "demo.noop", "--columns", "id,path",
            "--every", "1s", "--batch", "20"]);
        Assert.True(add.ExitCode == 0, add.All);
        await using var fleet = new WorkerFleet(id => ["work", "--database", database, "--worker-id", id, "--concurrency", "8",
            "--poll-interval", "500ms", "--shutdown-timeout", "300ms"]);
        await fleet.StartAsync(2);

        // Rows keep arriving while workers die: 200 every 400 ms for 8 s, a kill every 800 ms.
        var rows = 0;
        var killing = DateTime.UtcNow.AddSeconds(8);
        var nextKill = DateTime.UtcNow.AddMilliseconds(800);
        while (DateTime.UtcNow < killing)
        {
            await AddRowsAsync(database, 200);
            rows += 200;
            await Task.Delay(400);
            if (DateTime.UtcNow >= nextKill)
            {
                await fleet.KillRandomAndReplaceAsync();
                nextKill = DateTime.UtcNow.AddMilliseconds(800);
            }
        }
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (await CountAsync(database, "SELECT count(*) FROM uploaded_files WHERE status = 'pending_review'") > 0)
        {
            Assert.True(DateTime.UtcNow < deadline, "rows were left behind\n" + fleet.Output[^Math.Min(4000, fleet.Output.Length)..]);
            await Task.Delay(200);
        }
        await fleet.StopAllAsync();

        Assert.Equal(rows, await CountAsync(database, "SELECT count(*) FROM uploaded_files WHERE status = 'queued'"));
        Assert.Equal(rows, await CountAsync(database, "SELECT count(*) FROM conveyor.jobs WHERE kind = 'demo.noop'"));
        Assert.Equal(rows, await CountAsync(database, "SELECT count(DISTINCT args->>'id') FROM conveyor.jobs"));
        Assert.Equal(rows, await CountAsync(database, "SELECT total_moved FROM conveyor.table_sources WHERE name = 'uploads'"));
        foreach (var line in fleet.Timeline)
            output.WriteLine(line);
        output.WriteLine($"table source kill test: {fleet.Killed} workers SIGKILLed, {rows} rows, each moved once with exactly one job");
        Assert.True(fleet.Killed >= 5, $"only {fleet.Killed} kills");
    }
}

/// <summary>The worker protocol on PostgreSQL: long-polls woken by LISTEN/NOTIFY across processes.</summary>
public sealed class PostgresWorkerProtocolTests
{
    public static string? SkipReason => PostgresServer.UnavailableReason;

    [StoreFact]
    public async Task A_postgresql_server_passes_the_worker_protocol_checker()
    {
        var database = await (await PostgresServer.GetAsync()).CreateDatabaseAsync("protocol");
        var url = $"http://127.0.0.1:{FreePort.Next()}";
        await using var serve = ChildProcess.Cli(["serve", "--database", database, "--urls", url, "--poll-interval", "200ms"]);
        await serve.WaitForOutputAsync("Conveyor serve started", TimeSpan.FromSeconds(60));
        var (code, report) = await ChildProcess.CheckWorkerProtocolAsync(url);
        Assert.True(code == 0, report);
        Assert.Contains("14 checks, 14 passed, 0 failed", report);
    }
}
