using Conveyor.Postgres;
using Conveyor.Storage;
using Conveyor.Conformance;
using Conveyor.Testing;
using Conveyor.TestSupport;
using Npgsql;
using Xunit;

namespace Conveyor.Postgres.Tests;

/// <summary>What only PostgreSQL offers: SQL enqueue, triggers, NOTIFY wake-ups, the stats view, migrations under a lock.</summary>
public sealed class PostgresFeatureTests : IAsyncLifetime
{
    private readonly string _schema = PostgresTestSchemas.NewSchema();
    private PostgresStore _store = null!;
    private string _connectionString = "";

    public static string? SkipReason => PostgresServer.UnavailableReason;

    public async Task InitializeAsync()
    {
        _connectionString = (await PostgresServer.GetAsync()).ConnectionString;
        _store = await PostgresTestSchemas.CreateStoreAsync(_schema);
        await _store.MigrateAsync(default);
    }

    public async Task DisposeAsync() => await _store.DisposeAsync();

    private async Task<object?> ScalarAsync(string sql, params (string, object)[] parameters)
    {
        await using var connection = new NpgsqlConnection(_connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql.Replace("conveyor.", _schema + "."), connection);
        foreach (var (name, value) in parameters)
            command.Parameters.AddWithValue(name, value);
        return await command.ExecuteScalarAsync();
    }

    // A heartbeat never waits on a row lock: a job locked by another writer right now (the completer ending it, a progress
    // write) is reported held and renewed next time, so a heartbeat cannot deadlock with an outcome batch.
    [StoreFact]
    public async Task A_heartbeat_passes_over_a_locked_job_and_reports_it_held()
    {
        var t0 = DateTimeOffset.Parse("2026-01-01T00:00:00Z");
        var ids = (await _store.JobInsertManyAsync(new JobInsertManyParams([new JobInsertRow("k", "hb", "{}", 0, 3), new JobInsertRow("k", "hb", "{}", 0, 3)], t0), default)).Select(r => r.Id).ToList();
        var claimed = await _store.JobClaimAsync(new JobClaimParams("w1", ["hb"], 2, TimeSpan.FromSeconds(30), t0), default);
        Assert.Equal(2, claimed.Count);
        await using var connection = new NpgsqlConnection(_connectionString);
        await connection.OpenAsync();
        await using var tx = await connection.BeginTransactionAsync();
        await using (var lockOne = new NpgsqlCommand($"SELECT id FROM {_schema}.jobs WHERE id = @id FOR UPDATE", connection, tx))
        {
            lockOne.Parameters.AddWithValue("id", ids[0]);
            await lockOne.ExecuteScalarAsync();
        }
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        var result = await _store.JobHeartbeatAsync(new JobHeartbeatParams("w1", [.. claimed.Select(c => c.Lease)], TimeSpan.FromMinutes(5), t0.AddSeconds(10)), timeout.Token);
        Assert.Empty(result.Lost);
        await tx.RollbackAsync();
        // The free one was renewed to now + 5 min; the locked one kept its lease from the claim (now + 30 s).
        Assert.Equal(t0.AddSeconds(10).AddMinutes(5), (await _store.JobGetAsync(ids[1], default))!.LeaseUntil);
        Assert.Equal(t0.AddSeconds(30), (await _store.JobGetAsync(ids[0], default))!.LeaseUntil);
        // A job that is no longer this worker's is still reported lost.
        var other = await _store.JobHeartbeatAsync(new JobHeartbeatParams("w2", [claimed[0].Lease], TimeSpan.FromMinutes(5), t0.AddSeconds(20)), default);
        Assert.Equal([claimed[0].Lease], other.Lost);
    }

    // A worker with many slots and a claim-ahead buffer renews thousands of leases in one heartbeat, and must do it well
    // within the lease. With statistics taken while nothing ran (ANALYZE on a table of queued jobs), an earlier heartbeat
    // statement was planned as a walk of the running jobs rescanning every lease for each: 35 s for 2,500 leases
    // (job_heartbeat.sql). The bound here is a liveness one (the lease), not a speed target: the statement takes
    // milliseconds.
    [StoreFact]
    public async Task A_heartbeat_of_thousands_of_leases_returns_within_its_lease_whatever_the_statistics_say()
    {
        const int Jobs = 2_000;
        var t0 = DateTimeOffset.Parse("2026-01-01T00:00:00Z");
        await _store.JobInsertManyAsync(new JobInsertManyParams([.. Enumerable.Range(0, Jobs).Select(_ => new JobInsertRow("k", "many", "{}", 0, 3))], t0), default);
        await ScalarAsync("ANALYZE conveyor.jobs");
        var claimed = await _store.JobClaimAsync(new JobClaimParams("w1", ["many"], Jobs, TimeSpan.FromSeconds(30), t0), default);
        Assert.Equal(Jobs, claimed.Count);

        var lease = TimeSpan.FromSeconds(5);
        using var withinLease = new CancellationTokenSource(lease);
        var result = await _store.JobHeartbeatAsync(new JobHeartbeatParams("w1", [.. claimed.Select(c => c.Lease)], lease, t0.AddSeconds(1)), withinLease.Token);
        Assert.Equal((0, 0), (result.Lost.Count, result.CancelRequested.Count));
        Assert.Equal(Jobs, Convert.ToInt32(await ScalarAsync("SELECT count(*) FROM conveyor.jobs WHERE lease_until = @until", ("until", t0.AddSeconds(6)))));
    }

    [StoreFact]
    public async Task Sql_enqueue_creates_a_job_with_defaults_and_named_arguments()
    {
        var id = (long)(await ScalarAsync("SELECT conveyor.enqueue('report.build', '{\"month\":11}'::jsonb)"))!;
        var job = await _store.JobGetAsync(id, default);
        Assert.Equal(("report.build", "default", JobState.Queued, 10, 0), (job!.Kind, job.Queue, job.State, job.MaxAttempts, job.Priority));
        Assert.Equal(11, job.Args.GetProperty("month").GetInt32());

        var later = (long)(await ScalarAsync("SELECT conveyor.enqueue(kind => 'x.y', queue => 'mail', run_at => now() + interval '1 hour', priority => 5, max_attempts => 3)"))!;
        var scheduled = await _store.JobGetAsync(later, default);
        Assert.Equal(("mail", JobState.Scheduled, 5, 3), (scheduled!.Queue, scheduled.State, scheduled.Priority, scheduled.MaxAttempts));
    }

    [StoreFact]
    public async Task Sql_enqueue_with_a_taken_unique_key_returns_the_existing_job()
    {
        var first = (long)(await ScalarAsync("SELECT conveyor.enqueue('x.y', unique_key => 'nightly')"))!;
        var second = (long)(await ScalarAsync("SELECT conveyor.enqueue('x.y', unique_key => 'nightly')"))!;
        Assert.Equal(first, second);
        Assert.Equal(1L, await ScalarAsync("SELECT count(*) FROM conveyor.jobs"));
        Assert.Equal(true, await ScalarAsync("SELECT duplicate FROM conveyor.enqueue_job('x.y', unique_key => 'nightly')"));
        Assert.Equal(first, await ScalarAsync("SELECT id FROM conveyor.enqueue_job('x.y', unique_key => 'nightly')"));
        Assert.Equal(false, await ScalarAsync("SELECT duplicate FROM conveyor.enqueue_job('x.y', unique_key => 'weekly')"));
    }

    [StoreFact]
    public async Task Sql_enqueue_waits_on_dependencies_and_carries_a_traceparent()
    {
        const string traceParent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
        var first = (long)(await ScalarAsync("SELECT conveyor.enqueue('a.b')"))!;
        var waiting = (long)(await ScalarAsync($"SELECT conveyor.enqueue('c.d', depends_on => ARRAY[{first}]::bigint[], traceparent => '{traceParent}')"))!;
        var job = await _store.JobGetAsync(waiting, default);
        Assert.Equal((JobState.Waiting, traceParent, first), (job!.State, job.TraceParent, Assert.Single(job.Dependencies!).JobId));

        var claimed = Assert.Single(await _store.JobClaimAsync(new JobClaimParams("w", ["default"], 10, TimeSpan.FromSeconds(30)), default));
        await _store.JobApplyOutcomesAsync(new JobApplyOutcomesParams([AttemptOutcome.Completed(claimed.Lease, "w", "1")]), default);
        Assert.Equal(JobState.Queued, (await _store.JobGetAsync(waiting, default))!.State);
        var after = (long)(await ScalarAsync($"SELECT conveyor.enqueue('e.f', depends_on => ARRAY[{first}]::bigint[])"))!;
        Assert.Equal(JobState.Queued, (await _store.JobGetAsync(after, default))!.State); // its dependency had ended

        foreach (var sql in new[] { "SELECT conveyor.enqueue('x.y', depends_on => ARRAY[999999]::bigint[])", "SELECT conveyor.enqueue('x.y', traceparent => 'nope')" })
            Assert.Equal("22023", (await Assert.ThrowsAsync<PostgresException>(() => ScalarAsync(sql))).SqlState);
        Assert.Equal(3L, await ScalarAsync("SELECT count(*) FROM conveyor.jobs"));
    }

    [StoreFact]
    public async Task Sql_enqueue_rejects_bad_input_clearly_and_inserts_nothing()
    {
        var bad = new[]
        {
            "SELECT conveyor.enqueue('bad kind!')",
            "SELECT conveyor.enqueue(NULL)",
            "SELECT conveyor.enqueue('x.y', queue => 'no spaces')",
            "SELECT conveyor.enqueue('x.y', max_attempts => 0)",
        };
        foreach (var sql in bad)
        {
            var error = await Assert.ThrowsAsync<PostgresException>(() => ScalarAsync(sql));
            Assert.Equal("22023", error.SqlState);
            Assert.StartsWith(_schema + ".enqueue:", error.MessageText);
        }
        Assert.Equal(0L, await ScalarAsync("SELECT count(*) FROM conveyor.jobs"));
    }

    [StoreFact]
    public async Task A_trigger_on_a_user_table_enqueues_one_job_per_row()
    {
        await ScalarAsync("""
            CREATE TABLE conveyor.uploaded_files (id bigserial PRIMARY KEY, path text NOT NULL);
            CREATE FUNCTION conveyor.enqueue_file_processing() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                PERFORM conveyor.enqueue('process-file', jsonb_build_object('fileId', NEW.id, 'path', NEW.path));
                RETURN NEW;
            END $$;
            CREATE TRIGGER uploaded_files_enqueue AFTER INSERT ON conveyor.uploaded_files
                FOR EACH ROW EXECUTE FUNCTION conveyor.enqueue_file_processing();
            """);
        await ScalarAsync("INSERT INTO conveyor.uploaded_files (path) SELECT 'upload/' || g FROM generate_series(1, 25) AS g");
        var jobs = await _store.JobListAsync(new JobListParams(Kind: "process-file", Limit: 100), default);
        Assert.Equal(25, jobs.Count);
        Assert.Equal(Enumerable.Range(1, 25).Select(i => $"upload/{i}").Order(), jobs.Select(j => j.Args.GetProperty("path").GetString()!).Order());
    }

    [StoreFact]
    public async Task A_job_enqueued_from_sql_wakes_an_idle_worker_through_notify()
    {
        await using var host = new ConveyorTestHost(_store, o =>
        {
            o.PollInterval = TimeSpan.FromSeconds(60);
            o.AddHandler<EngineHandlers.RecordArgs, EngineHandlers.RecordHandler>("test.record");
        }, s => s.AddSingletonLog());
        await host.StartAsync();
        await Task.Delay(300);
        var id = (long)(await ScalarAsync("SELECT conveyor.enqueue('test.record', '{\"n\":1}'::jsonb)"))!;
        var job = await host.Client.WaitAsync(id, TimeSpan.FromSeconds(10));
        Assert.Equal(JobState.Completed, job.State);
        Assert.True(job.StartedAt - job.CreatedAt < TimeSpan.FromSeconds(5), $"started {job.StartedAt - job.CreatedAt} after enqueue");
    }

    [StoreFact]
    public async Task Poll_only_mode_holds_no_listen_connection_and_still_runs_jobs()
    {
        await using var pollOnly = new PostgresStore(_connectionString, new PostgresStoreOptions { Schema = _schema, Listen = false });
        await using var host = new ConveyorTestHost(pollOnly, o =>
        {
            o.PollInterval = TimeSpan.FromMilliseconds(200);
            o.AddHandler<EngineHandlers.RecordArgs, EngineHandlers.RecordHandler>("test.record");
        }, s => s.AddSingletonLog());
        await host.StartAsync();
        Assert.Equal(0L, await ScalarAsync("SELECT count(*) FROM pg_stat_activity WHERE query ILIKE 'LISTEN%' AND query ILIKE '%" + _schema + "_jobs%'"));
        var id = (long)(await ScalarAsync("SELECT conveyor.enqueue('test.record', '{\"n\":2}'::jsonb)"))!;
        Assert.Equal(JobState.Completed, (await host.Client.WaitAsync(id, TimeSpan.FromSeconds(20))).State);
    }

    [StoreFact]
    public async Task Cancelling_a_running_job_from_another_process_reaches_its_handler_through_notify()
    {
        // Heartbeats every 20 s: only the NOTIFY can bring the cancel within the bound below.
        await using var host = new ConveyorTestHost(_store, o =>
        {
            o.Lease = TimeSpan.FromMinutes(1);
            o.HeartbeatInterval = TimeSpan.FromSeconds(20);
            o.AddHandler<EngineHandlers.SleepArgs, EngineHandlers.SleepHandler>("test.sleep");
        }, s => s.AddSingletonLog());
        await host.StartAsync();
        var id = (long)(await ScalarAsync("SELECT conveyor.enqueue('test.sleep', '{\"ms\":60000}'::jsonb)"))!;
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while ((await _store.JobGetAsync(id, default))!.State != JobState.Running)
        {
            Assert.True(DateTime.UtcNow < deadline);
            await Task.Delay(20);
        }
        // Another process's view of the database: a store instance of its own.
        await using var elsewhere = await PostgresTestSchemas.CreateStoreAsync(_schema);
        var requested = DateTime.UtcNow;
        Assert.Equal(JobCancelOutcome.CancelRequested, (await elsewhere.JobCancelAsync(new JobCancelParams(id, DateTimeOffset.UtcNow), default)).Outcome);
        var job = await host.Client.WaitAsync(id, TimeSpan.FromSeconds(10));
        Assert.Equal(JobState.Cancelled, job.State);
        Assert.True(DateTime.UtcNow - requested < TimeSpan.FromSeconds(5), $"cancel took {DateTime.UtcNow - requested}");
    }

    [StoreFact]
    public async Task Client_enqueue_joins_the_applications_transaction()
    {
        await using var host = new ConveyorTestHost(_store, o =>
        {
            o.RunWorkers = false;
            o.AddHandler<EngineHandlers.RecordArgs, EngineHandlers.RecordHandler>("test.record");
        }, s => s.AddSingletonLog());
        await using var connection = new NpgsqlConnection(_connectionString);
        await connection.OpenAsync();
        await ScalarAsync("CREATE TABLE conveyor.orders (id int PRIMARY KEY)");

        await using (var tx = await connection.BeginTransactionAsync())
        {
            await using (var insert = new NpgsqlCommand($"INSERT INTO {_schema}.orders VALUES (1)", connection, tx))
                await insert.ExecuteNonQueryAsync();
            var rolledBack = await host.Client.EnqueueAsync(new EngineHandlers.RecordArgs(1), null, tx);
            await tx.RollbackAsync();
            Assert.Null(await host.Client.GetAsync(rolledBack.Id));
        }
        await using (var tx = await connection.BeginTransactionAsync())
        {
            await using (var insert = new NpgsqlCommand($"INSERT INTO {_schema}.orders VALUES (2)", connection, tx))
                await insert.ExecuteNonQueryAsync();
            var committed = await host.Client.EnqueueAsync(new EngineHandlers.RecordArgs(2), null, tx);
            await tx.CommitAsync();
            Assert.Equal(JobState.Queued, (await host.Client.GetAsync(committed.Id))!.State);
        }
        Assert.Equal(1L, await ScalarAsync("SELECT count(*) FROM conveyor.orders"));
        Assert.Equal(1L, await ScalarAsync("SELECT count(*) FROM conveyor.jobs"));
    }

    [StoreFact]
    public async Task Queue_stats_view_counts_by_state_with_the_oldest_waiting_age()
    {
        await ScalarAsync("SELECT conveyor.enqueue('a.b', run_at => now() - interval '90 seconds')");
        await ScalarAsync("SELECT conveyor.enqueue('a.b')");
        await ScalarAsync("SELECT conveyor.enqueue('a.b', queue => 'other', run_at => now() + interval '1 day')");
        Assert.Equal(2L, await ScalarAsync("SELECT queued FROM conveyor.queue_stats WHERE queue = 'default'"));
        var age = (TimeSpan)(await ScalarAsync("SELECT oldest_waiting_age FROM conveyor.queue_stats WHERE queue = 'default'"))!;
        Assert.InRange(age.TotalSeconds, 89, 200);
        Assert.Equal(1L, await ScalarAsync("SELECT scheduled FROM conveyor.queue_stats WHERE queue = 'other'"));
    }

    [StoreFact]
    public async Task Ten_processes_migrating_at_once_migrate_once()
    {
        var schema = PostgresTestSchemas.NewSchema();
        var stores = await Task.WhenAll(Enumerable.Range(0, 10).Select(_ => PostgresTestSchemas.CreateStoreAsync(schema)));
        await Task.WhenAll(stores.Select(s => s.MigrateAsync(default)));
        // One row per embedded migration file, each applied once.
        var files = typeof(PostgresStore).Assembly.GetManifestResourceNames().Count(n => n.Contains(".Migrations.", StringComparison.Ordinal));
        Assert.True(files >= 5);
        Assert.Equal((long)files, await ScalarAsync($"SELECT count(*) FROM {schema}.schema_migrations"));
        foreach (var store in stores)
            await store.DisposeAsync();
    }

    [StoreFact]
    public async Task A_database_newer_than_the_code_is_refused()
    {
        await ScalarAsync("INSERT INTO conveyor.schema_migrations (version, name) VALUES (9999, '9999_future')");
        var error = await Assert.ThrowsAsync<StoreVersionException>(() => _store.MigrateAsync(default));
        Assert.Contains("9999", error.Message);
    }

    [StoreFact]
    public async Task Bulk_insert_of_ten_thousand_jobs_is_one_round_trip_and_keeps_order()
    {
        var now = DateTimeOffset.UtcNow;
        var rows = Enumerable.Range(0, 10_000).Select(i => new JobInsertRow("bulk.item", "default", $$"""{"i":{{i}}}""", 0, 3, now, UniqueKey: i % 1000 == 0 ? $"u{i}" : null)).ToList();
        var results = await _store.JobInsertManyAsync(new JobInsertManyParams(rows, now), default);
        Assert.Equal(10_000, results.Select(r => r.Id).Distinct().Count());
        Assert.Equal(9999, (await _store.JobGetAsync(results[9999].Id, default))!.Args.GetProperty("i").GetInt32());
        Assert.Equal(5000, (await _store.JobGetAsync(results[5000].Id, default))!.Args.GetProperty("i").GetInt32());
    }

    [StoreFact]
    public void Connection_urls_are_accepted_and_passwords_never_described()
    {
        var builder = PostgresConnectionString.Parse("postgres://app:s%40cret@db.internal:6543/jobs?sslmode=disable");
        Assert.Equal(("db.internal", 6543, "jobs", "app", "s@cret"), (builder.Host!, builder.Port, builder.Database!, builder.Username!, builder.Password!));
        Assert.DoesNotContain("cret", PostgresConnectionString.Describe(builder));
        Assert.Equal("h", PostgresConnectionString.Parse("Host=h;Username=u").Host);
        Assert.Throws<ArgumentException>(() => new PostgresStore("Host=h", new PostgresStoreOptions { Schema = "Bad-Schema" }));
    }
}

internal static class ServiceCollectionTestExtensions
{
    public static void AddSingletonLog(this Microsoft.Extensions.DependencyInjection.IServiceCollection services) =>
        Microsoft.Extensions.DependencyInjection.ServiceCollectionServiceExtensions.AddSingleton<EngineHandlers.ExecutionLog>(services);
}
