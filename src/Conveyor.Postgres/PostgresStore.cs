using System.Data.Common;
using System.Text.Json;
using System.Text.RegularExpressions;
using Conveyor.Storage;
using Microsoft.Extensions.Logging;
using Npgsql;
using NpgsqlTypes;

namespace Conveyor.Postgres;

/// <summary>Settings of the PostgreSQL store.</summary>
public sealed class PostgresStoreOptions
{
    /// <summary>The schema holding Conveyor's tables and functions. Default "conveyor".</summary>
    public string Schema { get; set; } = "conveyor";

    /// <summary>Hold a LISTEN connection for instant wake-ups. False behind a pooler in transaction mode (poll only). Default true.</summary>
    public bool Listen { get; set; } = true;
}

/// <summary>
/// The production store: many worker processes on many machines share one PostgreSQL. Claims use
/// FOR UPDATE SKIP LOCKED; inserts NOTIFY through a trigger (so enqueues from SQL wake workers too);
/// enqueue can join the application's own transaction.
/// </summary>
public sealed partial class PostgresStore : IConveyorStore
{
    private readonly NpgsqlDataSource _dataSource;
    private readonly bool _ownsDataSource;
    private readonly PostgresSql _sql;
    private readonly PostgresNotifier _notifier;
    private readonly string _description;

    public PostgresStore(string connectionString, PostgresStoreOptions? options = null, ILoggerFactory? loggers = null)
        : this(new NpgsqlDataSourceBuilder(WithDefaults(PostgresConnectionString.Parse(connectionString)).ConnectionString).Build(), options, loggers, ownsDataSource: true)
    {
    }

    /// <summary>
    /// Auto-prepared statements unless the connection string says otherwise: the claim and finish statements
    /// run thousands of times a second, and planning them anew each time cost a good part of each claim.
    /// </summary>
    private static NpgsqlConnectionStringBuilder WithDefaults(NpgsqlConnectionStringBuilder builder)
    {
        if (builder.MaxAutoPrepare == 0)
            builder.MaxAutoPrepare = 32;
        return builder;
    }

    public PostgresStore(NpgsqlDataSource dataSource, PostgresStoreOptions? options = null, ILoggerFactory? loggers = null)
        : this(dataSource, options, loggers, ownsDataSource: false)
    {
    }

    private PostgresStore(NpgsqlDataSource dataSource, PostgresStoreOptions? options, ILoggerFactory? loggers, bool ownsDataSource)
    {
        options ??= new PostgresStoreOptions();
        if (!SchemaName().IsMatch(options.Schema))
            throw new ArgumentException($"Schema '{options.Schema}' must be a plain lower-case identifier (letters, digits, underscores).");
        Schema = options.Schema;
        _dataSource = dataSource;
        _ownsDataSource = ownsDataSource;
        _sql = new PostgresSql(options.Schema);
        _description = PostgresConnectionString.Describe(new NpgsqlConnectionStringBuilder(dataSource.ConnectionString)) + $" (schema {Schema})";
        _notifier = new PostgresNotifier(dataSource, options.Schema + "_jobs", options.Schema + "_cancel", options.Listen, loggers?.CreateLogger<PostgresStore>());
    }

    [GeneratedRegex("^[a-z_][a-z0-9_]{0,62}$")]
    private static partial Regex SchemaName();

    public string Schema { get; }
    public string Description => _description;
    public IJobNotifier Notifier => _notifier;
    internal PostgresSql Sql => _sql;

    public async ValueTask DisposeAsync()
    {
        await _notifier.StopAsync(CancellationToken.None);
        if (_ownsDataSource)
            await _dataSource.DisposeAsync();
    }

    public Task MigrateAsync(CancellationToken ct) => new PostgresMigrator(this).MigrateAsync(ct);

    internal async Task<NpgsqlConnection> OpenAsync(CancellationToken ct)
    {
        try
        {
            return await _dataSource.OpenConnectionAsync(ct);
        }
        catch (Exception ex) when (ex is NpgsqlException or System.Net.Sockets.SocketException or TimeoutException)
        {
            throw new StoreUnavailableException($"Cannot reach PostgreSQL ({_description}): {ex.Message}", ex);
        }
    }

    private NpgsqlCommand Command(NpgsqlConnection connection, string name, NpgsqlTransaction? transaction = null) =>
        new(_sql[name], connection, transaction);

    private static DateTime Utc(DateTimeOffset time) => time.UtcDateTime;

    private static string Iso(DateTimeOffset time) => time.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.ffffff'Z'", System.Globalization.CultureInfo.InvariantCulture);

    public async Task<IReadOnlyList<JobInsertResult>> JobInsertManyAsync(JobInsertManyParams p, CancellationToken ct)
    {
        if (p.Jobs.Count == 0)
            return [];
        NpgsqlConnection connection;
        NpgsqlTransaction? transaction = null;
        var owned = p.Transaction is null;
        if (p.Transaction is not null)
        {
            transaction = p.Transaction as NpgsqlTransaction
                ?? throw new ArgumentException($"The PostgreSQL store needs an NpgsqlTransaction, not {p.Transaction.GetType().Name}.", nameof(p));
            connection = transaction.Connection ?? throw new ArgumentException("The transaction has already completed.", nameof(p));
        }
        else
        {
            connection = await OpenAsync(ct);
        }
        try
        {
            var jobs = p.Jobs;
            await using var command = Command(connection, "job_insert_many", transaction);
            command.Parameters.Add(new NpgsqlParameter("now", NpgsqlDbType.TimestampTz) { Value = Utc(p.Now) });
            Array("queues", NpgsqlDbType.Text, jobs.Select(j => j.Queue));
            Array("kinds", NpgsqlDbType.Text, jobs.Select(j => j.Kind));
            Array("args", NpgsqlDbType.Jsonb, jobs.Select(j => j.Args));
            Array("priorities", NpgsqlDbType.Integer, jobs.Select(j => j.Priority));
            Array("max_attempts", NpgsqlDbType.Integer, jobs.Select(j => j.MaxAttempts));
            Array("run_ats", NpgsqlDbType.TimestampTz, jobs.Select(j => Utc(j.RunAt)));
            Array("unique_keys", NpgsqlDbType.Text, jobs.Select(j => (object?)j.UniqueKey ?? DBNull.Value));
            Array("concurrency_keys", NpgsqlDbType.Text, jobs.Select(j => (object?)j.ConcurrencyKey ?? DBNull.Value));
            Array("batch_ids", NpgsqlDbType.Text, jobs.Select(j => (object?)j.BatchId ?? DBNull.Value));
            Array("tags", NpgsqlDbType.Jsonb, jobs.Select(j => BatchJson.Strings(j.Tags ?? [])));
            Array("timeouts", NpgsqlDbType.Interval, jobs.Select(j => j.Timeout is { } t ? (object)t : DBNull.Value));

            var inserted = new List<(long Id, string? UniqueKey)>(jobs.Count);
            await using (var reader = await command.ExecuteReaderAsync(ct))
            {
                while (await reader.ReadAsync(ct))
                    inserted.Add((reader.GetInt64(0), reader.IsDBNull(1) ? null : reader.GetString(1)));
            }
            inserted.Sort((a, b) => a.Id.CompareTo(b.Id));

            // Identity values follow the insert order, which is the request order: walk both lists together.
            var results = new JobInsertResult[jobs.Count];
            var duplicates = new List<int>();
            var next = 0;
            for (var i = 0; i < jobs.Count; i++)
            {
                if (next < inserted.Count && inserted[next].UniqueKey == jobs[i].UniqueKey)
                    results[i] = new JobInsertResult(inserted[next++].Id, false);
                else if (jobs[i].UniqueKey is not null)
                    duplicates.Add(i);
                else
                    throw new InvalidOperationException("Inserted ids do not line up with the requested jobs.");
            }
            if (duplicates.Count > 0)
            {
                await using var find = Command(connection, "job_find_unique", transaction);
                find.Parameters.Add(new NpgsqlParameter("unique_keys", NpgsqlDbType.Array | NpgsqlDbType.Text) { Value = duplicates.Select(i => jobs[i].UniqueKey!).Distinct().ToArray() });
                var holders = new Dictionary<string, long>();
                await using (var reader = await find.ExecuteReaderAsync(ct))
                {
                    while (await reader.ReadAsync(ct))
                        holders[reader.GetString(0)] = reader.GetInt64(1);
                }
                foreach (var i in duplicates)
                {
                    results[i] = holders.TryGetValue(jobs[i].UniqueKey!, out var holder)
                        ? new JobInsertResult(holder, true)
                        : throw new InvalidOperationException($"Unique key '{jobs[i].UniqueKey}' conflicted but no live job holds it.");
                }
            }
            // Workers of this process wake at once; others wake on the trigger's NOTIFY at commit.
            if (owned)
            {
                foreach (var queue in jobs.Where(j => j.RunAt <= p.Now).Select(j => j.Queue).Distinct())
                    _notifier.PublishLocal(queue);
            }
            return results;

            void Array<T>(string name, NpgsqlDbType type, IEnumerable<T> values) =>
                command.Parameters.Add(new NpgsqlParameter(name, NpgsqlDbType.Array | type) { Value = values.ToArray() });
        }
        finally
        {
            if (owned)
                await connection.DisposeAsync();
        }
    }

    public async Task<IReadOnlyList<ClaimedJob>> JobClaimAsync(JobClaimParams p, CancellationToken ct)
    {
        await using var connection = await OpenAsync(ct);
        await using var command = Command(connection, "job_claim");
        command.Parameters.AddWithValue("now", Utc(p.Now));
        command.Parameters.AddWithValue("lease_until", Utc(p.LeaseUntil));
        command.Parameters.AddWithValue("worker_id", p.WorkerId);
        command.Parameters.AddWithValue("queues", p.Queues.ToArray());
        command.Parameters.AddWithValue("max", p.Max);
        var jobs = new List<ClaimedJob>(p.Max);
        await using var reader = await command.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
        {
            jobs.Add(new ClaimedJob(
                Id: reader.GetInt64(0),
                Queue: reader.GetString(1),
                Kind: reader.GetString(2),
                Args: reader.GetString(3),
                Attempt: reader.GetInt32(4),
                MaxAttempts: reader.GetInt32(5),
                Priority: reader.GetInt32(6),
                CreatedAt: reader.GetFieldValue<DateTimeOffset>(7),
                BatchId: reader.IsDBNull(8) ? null : reader.GetString(8),
                Timeout: reader.IsDBNull(9) ? null : reader.GetFieldValue<TimeSpan>(9)));
        }
        return jobs;
    }

    public async Task<JobHeartbeatResult> JobHeartbeatAsync(JobHeartbeatParams p, CancellationToken ct)
    {
        if (p.Jobs.Count == 0)
            return new JobHeartbeatResult([], []);
        await using var connection = await OpenAsync(ct);
        await using var command = Command(connection, "job_heartbeat");
        command.Parameters.AddWithValue("lease_until", Utc(p.LeaseUntil));
        command.Parameters.AddWithValue("worker_id", p.WorkerId);
        command.Parameters.AddWithValue("leases", BatchJson.Leases(p.Jobs));
        return await StoreQueries.HeartbeatAsync(command, p.Jobs, ct);
    }

    public async Task<bool> JobProgressAsync(JobProgressParams p, CancellationToken ct)
    {
        await using var connection = await OpenAsync(ct);
        await using var command = Command(connection, "job_progress");
        command.Parameters.AddWithValue("id", p.Id);
        command.Parameters.AddWithValue("attempt", p.Attempt);
        command.Parameters.AddWithValue("worker_id", p.WorkerId);
        command.Parameters.Add(new NpgsqlParameter("progress", NpgsqlDbType.Smallint) { Value = p.Progress.Percent is { } pct ? (short)pct : DBNull.Value });
        command.Parameters.Add(new NpgsqlParameter("progress_stage", NpgsqlDbType.Text) { Value = (object?)p.Progress.Stage ?? DBNull.Value });
        command.Parameters.Add(new NpgsqlParameter("progress_done", NpgsqlDbType.Bigint) { Value = (object?)p.Progress.Done ?? DBNull.Value });
        command.Parameters.Add(new NpgsqlParameter("progress_total", NpgsqlDbType.Bigint) { Value = (object?)p.Progress.Total ?? DBNull.Value });
        return await command.ExecuteNonQueryAsync(ct) == 1;
    }

    public async Task<IReadOnlyList<long>> JobFinishManyAsync(JobFinishManyParams p, CancellationToken ct)
    {
        if (p.Jobs.Count == 0)
            return [];
        await using var connection = await OpenAsync(ct);
        await using var command = Command(connection, "job_finish_many");
        command.Parameters.AddWithValue("finishes", BatchJson.Finishes(p.Jobs, Iso));
        var applied = new List<long>(p.Jobs.Count);
        var wake = new HashSet<string>();
        await using (var reader = await command.ExecuteReaderAsync(ct))
        {
            while (await reader.ReadAsync(ct))
            {
                applied.Add(reader.GetInt64(0));
                if (reader.GetString(2) == "queued")
                    wake.Add(reader.GetString(1));
            }
        }
        // Jobs handed back (shutdown) are ready now: wake every worker, here and elsewhere.
        foreach (var queue in wake)
            await _notifier.NotifyAsync(queue, ct);
        return applied;
    }

    public async Task<JobCancelResult> JobCancelAsync(JobCancelParams p, CancellationToken ct)
    {
        await using var connection = await OpenAsync(ct);
        await using var transaction = await connection.BeginTransactionAsync(ct);
        var (state, _) = await StateForUpdateAsync(connection, transaction, p.Id, ct);
        JobCancelResult result;
        switch (state)
        {
            case null:
                return new JobCancelResult(JobCancelOutcome.NotFound, null);
            case JobState.Scheduled or JobState.Queued:
                await ExecuteAsync(connection, transaction, "job_cancel_waiting", p.Id, p.Now, ct);
                result = new JobCancelResult(JobCancelOutcome.Cancelled, JobState.Cancelled);
                break;
            case JobState.Running:
                await ExecuteAsync(connection, transaction, "job_cancel_running", p.Id, p.Now, ct);
                // Delivered at commit to the worker holding the job, wherever it runs.
                await using (var notify = Command(connection, "notify_cancel", transaction))
                {
                    notify.Parameters.AddWithValue("id", p.Id.ToString(System.Globalization.CultureInfo.InvariantCulture));
                    await notify.ExecuteNonQueryAsync(ct);
                }
                result = new JobCancelResult(JobCancelOutcome.CancelRequested, JobState.Running);
                break;
            default:
                return new JobCancelResult(JobCancelOutcome.AlreadyFinished, state);
        }
        await transaction.CommitAsync(ct);
        if (result.Outcome == JobCancelOutcome.CancelRequested)
            _notifier.PublishCancelLocal(p.Id);
        return result;
    }

    public async Task<JobRetryResult> JobRetryAsync(JobRetryParams p, CancellationToken ct)
    {
        await using var connection = await OpenAsync(ct);
        await using var transaction = await connection.BeginTransactionAsync(ct);
        var (state, queue) = await StateForUpdateAsync(connection, transaction, p.Id, ct);
        if (state is null)
            return new JobRetryResult(JobRetryOutcome.NotFound, null);
        if (state is not (JobState.Failed or JobState.Cancelled))
            return new JobRetryResult(JobRetryOutcome.NotRetryable, state);
        await ExecuteAsync(connection, transaction, "job_retry", p.Id, p.Now, ct);
        await using (var notify = Command(connection, "notify", transaction))
        {
            notify.Parameters.AddWithValue("queue", queue!);
            await notify.ExecuteNonQueryAsync(ct);
        }
        await transaction.CommitAsync(ct);
        _notifier.PublishLocal(queue!);
        return new JobRetryResult(JobRetryOutcome.Retried, JobState.Queued);
    }

    private async Task<(JobState? State, string? Queue)> StateForUpdateAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, long id, CancellationToken ct)
    {
        await using var command = Command(connection, "job_state_for_update", transaction);
        command.Parameters.AddWithValue("id", id);
        await using var reader = await command.ExecuteReaderAsync(ct);
        return await reader.ReadAsync(ct) ? (JobStateNames.Parse(reader.GetString(0)), reader.GetString(1)) : (null, null);
    }

    private async Task ExecuteAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, string sql, long id, DateTimeOffset now, CancellationToken ct)
    {
        await using var command = Command(connection, sql, transaction);
        command.Parameters.AddWithValue("id", id);
        command.Parameters.AddWithValue("now", Utc(now));
        await command.ExecuteNonQueryAsync(ct);
    }

    public async Task<IReadOnlyList<ExpiredJob>> JobListExpiredAsync(JobExpiredParams p, CancellationToken ct)
    {
        await using var connection = await OpenAsync(ct);
        await using var command = Command(connection, "job_list_expired");
        command.Parameters.AddWithValue("now", Utc(p.Now));
        command.Parameters.AddWithValue("limit", p.Limit);
        var jobs = new List<ExpiredJob>();
        await using var reader = await command.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
            jobs.Add(new ExpiredJob(reader.GetInt64(0), reader.GetInt32(1), reader.GetInt32(2), reader.GetString(3), reader.GetString(4)));
        return jobs;
    }

    public async Task<int> JobPromoteScheduledAsync(JobPromoteParams p, CancellationToken ct)
    {
        await using var connection = await OpenAsync(ct);
        await using var command = Command(connection, "job_promote_scheduled");
        command.Parameters.AddWithValue("now", Utc(p.Now));
        command.Parameters.AddWithValue("limit", p.Limit);
        var queues = new HashSet<string>();
        var count = 0;
        await using (var reader = await command.ExecuteReaderAsync(ct))
        {
            while (await reader.ReadAsync(ct))
            {
                count++;
                queues.Add(reader.GetString(0));
            }
        }
        foreach (var queue in queues)
            await _notifier.NotifyAsync(queue, ct);
        return count;
    }

    public async Task<int> JobPruneAsync(JobPruneParams p, CancellationToken ct)
    {
        await using var connection = await OpenAsync(ct);
        await using var command = Command(connection, "job_prune");
        command.Parameters.AddWithValue("completed_before", Utc(p.CompletedBefore));
        command.Parameters.AddWithValue("failed_before", Utc(p.FailedBefore));
        command.Parameters.AddWithValue("batch_size", p.BatchSize);
        return await command.ExecuteNonQueryAsync(ct);
    }

    public async Task<Job?> JobGetAsync(long id, CancellationToken ct)
    {
        await using var connection = await OpenAsync(ct);
        await using var command = new NpgsqlCommand(_sql["job_columns"] + " WHERE id = @id", connection);
        command.Parameters.AddWithValue("id", id);
        await using var reader = await command.ExecuteReaderAsync(ct);
        return await reader.ReadAsync(ct) ? ReadJob(reader) : null;
    }

    public async Task<IReadOnlyList<Job>> JobListAsync(JobListParams p, CancellationToken ct)
    {
        await using var connection = await OpenAsync(ct);
        await using var command = new NpgsqlCommand { Connection = connection };
        var where = StoreQueries.JobListWhere(p, command);
        command.Parameters.AddWithValue("limit", p.Limit);
        command.CommandText = _sql["job_columns"] + where + " ORDER BY id DESC LIMIT @limit";
        var jobs = new List<Job>();
        await using var reader = await command.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
            jobs.Add(ReadJob(reader));
        return jobs;
    }

    public async Task<IReadOnlyList<QueueStats>> QueueStatsAsync(QueueStatsParams p, CancellationToken ct)
    {
        await using var connection = await OpenAsync(ct);
        await using var command = Command(connection, "queue_stats");
        command.Parameters.AddWithValue("now", Utc(p.Now));
        var stats = new QueueStatsBuilder(p.Now);
        await using var reader = await command.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
        {
            stats.Add(reader.GetString(0), reader.IsDBNull(1) ? null : JobStateNames.Parse(reader.GetString(1)), reader.GetInt64(2),
                reader.IsDBNull(3) ? null : reader.GetFieldValue<DateTimeOffset>(3), reader.GetBoolean(4));
        }
        return stats.Build();
    }

    public async Task WorkerUpsertAsync(WorkerRecord worker, CancellationToken ct)
    {
        await using var connection = await OpenAsync(ct);
        await using var command = Command(connection, "worker_upsert");
        command.Parameters.AddWithValue("id", worker.Id);
        command.Parameters.AddWithValue("host", worker.Host);
        command.Parameters.AddWithValue("pid", worker.Pid);
        command.Parameters.AddWithValue("queues", worker.Queues.ToArray());
        command.Parameters.AddWithValue("concurrency", worker.Concurrency);
        command.Parameters.AddWithValue("started_at", Utc(worker.StartedAt));
        command.Parameters.AddWithValue("last_seen_at", Utc(worker.LastSeenAt));
        command.Parameters.AddWithValue("running", worker.Running);
        await command.ExecuteNonQueryAsync(ct);
    }

    public async Task WorkerRemoveAsync(string workerId, CancellationToken ct)
    {
        await using var connection = await OpenAsync(ct);
        await using var command = new NpgsqlCommand(_sql.ForSchema("DELETE FROM conveyor.workers WHERE id = @id"), connection);
        command.Parameters.AddWithValue("id", workerId);
        await command.ExecuteNonQueryAsync(ct);
    }

    public async Task<IReadOnlyList<WorkerRecord>> WorkerListAsync(CancellationToken ct)
    {
        await using var connection = await OpenAsync(ct);
        await using var command = Command(connection, "worker_list");
        var workers = new List<WorkerRecord>();
        await using var reader = await command.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
        {
            workers.Add(new WorkerRecord(reader.GetString(0), reader.GetString(1), reader.GetInt32(2),
                reader.GetFieldValue<string[]>(3), reader.GetInt32(4),
                reader.GetFieldValue<DateTimeOffset>(5), reader.GetFieldValue<DateTimeOffset>(6), reader.GetInt32(7)));
        }
        return workers;
    }

    public async Task<int> WorkerPruneAsync(DateTimeOffset lastSeenBefore, CancellationToken ct)
    {
        await using var connection = await OpenAsync(ct);
        await using var command = new NpgsqlCommand(_sql.ForSchema("DELETE FROM conveyor.workers WHERE last_seen_at < @before"), connection);
        command.Parameters.AddWithValue("before", Utc(lastSeenBefore));
        return await command.ExecuteNonQueryAsync(ct);
    }

    private static Job ReadJob(DbDataReader r) => new()
    {
        Id = r.GetInt64(0),
        Queue = r.GetString(1),
        Kind = r.GetString(2),
        Args = ConveyorJson.ParseElement(r.GetString(3)),
        Result = r.IsDBNull(4) ? null : ConveyorJson.ParseElement(r.GetString(4)),
        State = JobStateNames.Parse(r.GetString(5)),
        Priority = r.GetInt32(6),
        Attempt = r.GetInt32(7),
        MaxAttempts = r.GetInt32(8),
        RunAt = r.GetFieldValue<DateTimeOffset>(9),
        CreatedAt = r.GetFieldValue<DateTimeOffset>(10),
        StartedAt = Time(r, 11),
        FinishedAt = Time(r, 12),
        LeaseUntil = Time(r, 13),
        WorkerId = r.IsDBNull(14) ? null : r.GetString(14),
        Progress = r.IsDBNull(15) && r.IsDBNull(16) && r.IsDBNull(17)
            ? null
            : new JobProgress(r.IsDBNull(15) ? null : r.GetInt16(15), r.IsDBNull(16) ? null : r.GetString(16), r.IsDBNull(17) ? null : r.GetInt64(17), r.IsDBNull(18) ? null : r.GetInt64(18)),
        Errors = JsonSerializer.Deserialize<List<JobError>>(r.GetString(19), ConveyorJson.Options) ?? [],
        BatchId = r.IsDBNull(20) ? null : r.GetString(20),
        UniqueKey = r.IsDBNull(21) ? null : r.GetString(21),
        ConcurrencyKey = r.IsDBNull(22) ? null : r.GetString(22),
        Tags = r.GetFieldValue<string[]>(23),
        Timeout = r.IsDBNull(24) ? null : r.GetFieldValue<TimeSpan>(24),
        CancelRequestedAt = Time(r, 25),
    };

    private static DateTimeOffset? Time(DbDataReader r, int ordinal) => r.IsDBNull(ordinal) ? null : r.GetFieldValue<DateTimeOffset>(ordinal);
}
