using System.Data.Common;
using System.Text.Json;
using Conveyor.Storage;
using Microsoft.Data.Sqlite;

namespace Conveyor.Sqlite;

/// <summary>
/// The embedded store: one SQLite file in WAL mode. Several processes on one machine may share it: every
/// write that reads before it writes (claims, cancels) runs inside BEGIN IMMEDIATE, and a busy database is
/// waited for (busy_timeout) rather than failed.
/// </summary>
public sealed class SqliteStore : IConveyorStore
{
    private static readonly EmbeddedSql Sql = new(typeof(SqliteStore).Assembly, "Conveyor.Sqlite.Sql.");
    private const int BusyTimeoutMs = 30_000;

    private readonly string _connectionString;
    private readonly SqliteNotifier _notifier;
    private readonly System.Collections.Concurrent.ConcurrentDictionary<int, string> _claimSql = new();

    // SQLite has one writer at a time. Writers of this process queue here instead of in SQLite's busy
    // handler, which sleeps in steps of up to 100 ms: with claims and batched finishes contending in one
    // process, finishes averaged 249 ms (busy sleeps) and the drain ran at ~2,600 jobs/s.
    private readonly SemaphoreSlim _writeLock = new(1, 1);

    public SqliteStore(string database)
    {
        var builder = ParseConnectionString(database);
        FilePath = builder.DataSource;
        builder.Pooling = true;
        builder.DefaultTimeout = BusyTimeoutMs / 1000;
        _connectionString = builder.ToString();
        _notifier = new SqliteNotifier(OpenAsync);
        var directory = Path.GetDirectoryName(Path.GetFullPath(FilePath));
        if (!string.IsNullOrEmpty(directory) && builder.Mode != SqliteOpenMode.Memory)
            Directory.CreateDirectory(directory);
    }

    /// <summary>Accepts a file path (<c>./conveyor.db</c>) or a connection string (<c>Data Source=jobs.db</c>).</summary>
    public static SqliteConnectionStringBuilder ParseConnectionString(string database)
    {
        if (string.IsNullOrWhiteSpace(database))
            throw new ArgumentException("A SQLite database path or connection string is required.", nameof(database));
        return database.Contains('=')
            ? new SqliteConnectionStringBuilder(database)
            : new SqliteConnectionStringBuilder { DataSource = database };
    }

    public string FilePath { get; }

    public string Description => $"sqlite {FilePath}";

    public IJobNotifier Notifier => _notifier;

    public async ValueTask DisposeAsync() => await _notifier.StopAsync(CancellationToken.None);

    internal async Task<SqliteConnection> OpenAsync(CancellationToken ct)
    {
        var connection = new SqliteConnection(_connectionString);
        try
        {
            await connection.OpenAsync(ct);
        }
        catch (SqliteException ex)
        {
            await connection.DisposeAsync();
            throw new StoreUnavailableException($"Cannot open SQLite database '{FilePath}': {ex.Message}", ex);
        }
        // Per connection; journal_mode=WAL is persistent and set by the migrator.
        await using (var pragma = connection.CreateCommand())
        {
            pragma.CommandText = $"PRAGMA busy_timeout = {BusyTimeoutMs}; PRAGMA synchronous = NORMAL;";
            await pragma.ExecuteNonQueryAsync(ct);
        }
        return connection;
    }

    private async Task<WriteLockHolder> WriteLockAsync(CancellationToken ct)
    {
        await _writeLock.WaitAsync(ct);
        return new WriteLockHolder(_writeLock);
    }

    private readonly struct WriteLockHolder(SemaphoreSlim semaphore) : IAsyncDisposable
    {
        public ValueTask DisposeAsync()
        {
            semaphore.Release();
            return ValueTask.CompletedTask;
        }
    }

    private static SqliteCommand Command(SqliteConnection connection, string sql, SqliteTransaction? transaction = null)
    {
        var command = connection.CreateCommand();
        command.CommandText = sql;
        command.Transaction = transaction;
        command.CommandTimeout = BusyTimeoutMs / 1000;
        return command;
    }

    private static string T(DateTimeOffset time) => SqliteTime.ToText(time);

    public Task MigrateAsync(CancellationToken ct) => new SqliteMigrator(this).MigrateAsync(ct);

    public async Task<IReadOnlyList<JobInsertResult>> JobInsertManyAsync(JobInsertManyParams p, CancellationToken ct)
    {
        JobInsertResult[] results;
        if (p.Transaction is not null)
        {
            var applicationTransaction = p.Transaction as SqliteTransaction
                ?? throw new ArgumentException($"The SQLite store needs a SqliteTransaction, not {p.Transaction.GetType().Name}.", nameof(p));
            results = await InsertAsync(applicationTransaction, p, ct);
        }
        else
        {
            await using var write = await WriteLockAsync(ct);
            await using var connection = await OpenAsync(ct);
            await using var transaction = connection.BeginTransaction(deferred: false);
            results = await InsertAsync(transaction, p, ct);
            await transaction.CommitAsync(ct);
        }
        // In this process only; other processes on the file find the jobs at their next poll.
        // (In the application's transaction the signal may come before its commit: the poll covers that.)
        foreach (var ready in p.Jobs.Where(j => j.RunAt <= p.Now).Select(j => j.Queue).Distinct())
            _notifier.Publish(ready);
        return results;
    }

    private static async Task<JobInsertResult[]> InsertAsync(SqliteTransaction transaction, JobInsertManyParams p, CancellationToken ct)
    {
        var connection = transaction.Connection!;
        await using var insert = Command(connection, Sql["job_insert"], transaction);
        var queue = insert.Parameters.Add("@queue", SqliteType.Text);
        var kind = insert.Parameters.Add("@kind", SqliteType.Text);
        var args = insert.Parameters.Add("@args", SqliteType.Text);
        var runAt = insert.Parameters.Add("@run_at", SqliteType.Text);
        var priority = insert.Parameters.Add("@priority", SqliteType.Integer);
        var maxAttempts = insert.Parameters.Add("@max_attempts", SqliteType.Integer);
        var uniqueKey = insert.Parameters.Add("@unique_key", SqliteType.Text);
        var concurrencyKey = insert.Parameters.Add("@concurrency_key", SqliteType.Text);
        var batchId = insert.Parameters.Add("@batch_id", SqliteType.Text);
        var tags = insert.Parameters.Add("@tags", SqliteType.Text);
        var timeout = insert.Parameters.Add("@timeout", SqliteType.Real);
        insert.Parameters.AddWithValue("@now", T(p.Now));
        insert.Prepare();
        await using var findUnique = Command(connection, Sql["job_find_unique"], transaction);
        var findKey = findUnique.Parameters.Add("@unique_key", SqliteType.Text);

        var results = new JobInsertResult[p.Jobs.Count];
        for (var i = 0; i < p.Jobs.Count; i++)
        {
            var job = p.Jobs[i];
            queue.Value = job.Queue;
            kind.Value = job.Kind;
            args.Value = job.Args;
            runAt.Value = T(job.RunAt);
            priority.Value = job.Priority;
            maxAttempts.Value = job.MaxAttempts;
            uniqueKey.Value = (object?)job.UniqueKey ?? DBNull.Value;
            concurrencyKey.Value = (object?)job.ConcurrencyKey ?? DBNull.Value;
            batchId.Value = (object?)job.BatchId ?? DBNull.Value;
            tags.Value = BatchJson.Strings(job.Tags ?? []);
            timeout.Value = job.Timeout is { } t ? t.TotalSeconds : DBNull.Value;
            var id = await insert.ExecuteScalarAsync(ct);
            if (id is long inserted)
            {
                results[i] = new JobInsertResult(inserted, false);
            }
            else
            {
                findKey.Value = job.UniqueKey;
                var existing = await findUnique.ExecuteScalarAsync(ct)
                    ?? throw new InvalidOperationException($"Insert of a '{job.Kind}' job was refused without a live job holding its unique key.");
                results[i] = new JobInsertResult((long)existing, true);
            }
        }
        return results;
    }

    public async Task<IReadOnlyList<ClaimedJob>> JobClaimAsync(JobClaimParams p, CancellationToken ct)
    {
        await using var write = await WriteLockAsync(ct);
        await using var connection = await OpenAsync(ct);
        await using var transaction = connection.BeginTransaction(deferred: false);
        await using var command = Command(connection, ClaimSql(p.Queues.Count), transaction);
        command.Parameters.AddWithValue("@worker_id", p.WorkerId);
        command.Parameters.AddWithValue("@now", T(p.Now));
        command.Parameters.AddWithValue("@lease_until", T(p.LeaseUntil));
        command.Parameters.AddWithValue("@max", p.Max);
        for (var i = 0; i < p.Queues.Count; i++)
            command.Parameters.AddWithValue($"@queue_{i}", p.Queues[i]);
        var jobs = new List<ClaimedJob>(p.Max);
        await using (var reader = await command.ExecuteReaderAsync(ct))
        {
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
                    CreatedAt: SqliteTime.Parse(reader.GetString(7)),
                    BatchId: reader.IsDBNull(8) ? null : reader.GetString(8),
                    Timeout: reader.IsDBNull(9) ? null : TimeSpan.FromSeconds(reader.GetDouble(9))));
            }
        }
        await transaction.CommitAsync(ct);
        return jobs;
    }

    /// <summary>The claim statement for a number of queues: one ready-set subquery per queue.</summary>
    private string ClaimSql(int queues) => _claimSql.GetOrAdd(queues, n =>
    {
        var ready = string.Join("\nUNION ALL\n", Enumerable.Range(0, n).Select(i => Sql["job_claim_ready"].Replace("@queue", $"@queue_{i}", StringComparison.Ordinal)));
        return Sql["job_claim"].Replace("{ready}", ready, StringComparison.Ordinal);
    });

    public async Task<JobHeartbeatResult> JobHeartbeatAsync(JobHeartbeatParams p, CancellationToken ct)
    {
        await using var write = await WriteLockAsync(ct);
        if (p.Jobs.Count == 0)
            return new JobHeartbeatResult([], []);
        await using var connection = await OpenAsync(ct);
        await using var command = Command(connection, Sql["job_heartbeat"]);
        command.Parameters.AddWithValue("@lease_until", T(p.LeaseUntil));
        command.Parameters.AddWithValue("@worker_id", p.WorkerId);
        command.Parameters.AddWithValue("@leases", BatchJson.Leases(p.Jobs));
        return await StoreQueries.HeartbeatAsync(command, p.Jobs, ct);
    }

    public async Task<bool> JobProgressAsync(JobProgressParams p, CancellationToken ct)
    {
        await using var write = await WriteLockAsync(ct);
        await using var connection = await OpenAsync(ct);
        await using var command = Command(connection, Sql["job_progress"]);
        command.Parameters.AddWithValue("@id", p.Id);
        command.Parameters.AddWithValue("@attempt", p.Attempt);
        command.Parameters.AddWithValue("@worker_id", p.WorkerId);
        command.Parameters.AddWithValue("@progress", (object?)p.Progress.Percent ?? DBNull.Value);
        command.Parameters.AddWithValue("@progress_stage", (object?)p.Progress.Stage ?? DBNull.Value);
        command.Parameters.AddWithValue("@progress_done", (object?)p.Progress.Done ?? DBNull.Value);
        command.Parameters.AddWithValue("@progress_total", (object?)p.Progress.Total ?? DBNull.Value);
        return await command.ExecuteNonQueryAsync(ct) == 1;
    }

    public async Task<IReadOnlyList<long>> JobFinishManyAsync(JobFinishManyParams p, CancellationToken ct)
    {
        await using var write = await WriteLockAsync(ct);
        if (p.Jobs.Count == 0)
            return [];
        await using var connection = await OpenAsync(ct);
        await using var transaction = connection.BeginTransaction(deferred: false);
        await using var command = Command(connection, Sql["job_finish_many"], transaction);
        command.Parameters.AddWithValue("@finishes", BatchJson.Finishes(p.Jobs, T));
        var applied = new List<long>(p.Jobs.Count);
        await using (var reader = await command.ExecuteReaderAsync(ct))
        {
            while (await reader.ReadAsync(ct))
                applied.Add(reader.GetInt64(0));
        }
        await transaction.CommitAsync(ct);
        if (p.Jobs.Any(j => j.State == JobState.Queued))
            _notifier.Publish("*");
        return applied;
    }

    public async Task<JobCancelResult> JobCancelAsync(JobCancelParams p, CancellationToken ct)
    {
        await using var write = await WriteLockAsync(ct);
        await using var connection = await OpenAsync(ct);
        await using var transaction = connection.BeginTransaction(deferred: false);
        var state = await StateAsync(connection, transaction, p.Id, ct);
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
                result = new JobCancelResult(JobCancelOutcome.CancelRequested, JobState.Running);
                break;
            default:
                return new JobCancelResult(JobCancelOutcome.AlreadyFinished, state);
        }
        await transaction.CommitAsync(ct);
        // Workers of this process stop the handler at once; others see the request at their next heartbeat.
        if (result.Outcome == JobCancelOutcome.CancelRequested)
            _notifier.PublishCancel(p.Id);
        return result;
    }

    public async Task<JobRetryResult> JobRetryAsync(JobRetryParams p, CancellationToken ct)
    {
        await using var write = await WriteLockAsync(ct);
        await using var connection = await OpenAsync(ct);
        await using var transaction = connection.BeginTransaction(deferred: false);
        var state = await StateAsync(connection, transaction, p.Id, ct);
        if (state is null)
            return new JobRetryResult(JobRetryOutcome.NotFound, null);
        if (state is not (JobState.Failed or JobState.Cancelled))
            return new JobRetryResult(JobRetryOutcome.NotRetryable, state);
        await ExecuteAsync(connection, transaction, "job_retry", p.Id, p.Now, ct);
        await transaction.CommitAsync(ct);
        _notifier.Publish("*");
        return new JobRetryResult(JobRetryOutcome.Retried, JobState.Queued);
    }

    private static async Task<JobState?> StateAsync(SqliteConnection connection, SqliteTransaction transaction, long id, CancellationToken ct)
    {
        await using var command = Command(connection, Sql["job_state"], transaction);
        command.Parameters.AddWithValue("@id", id);
        return await command.ExecuteScalarAsync(ct) is string state ? JobStateNames.Parse(state) : null;
    }

    private static async Task ExecuteAsync(SqliteConnection connection, SqliteTransaction transaction, string sql, long id, DateTimeOffset now, CancellationToken ct)
    {
        await using var command = Command(connection, Sql[sql], transaction);
        command.Parameters.AddWithValue("@id", id);
        command.Parameters.AddWithValue("@now", T(now));
        await command.ExecuteNonQueryAsync(ct);
    }

    public async Task<IReadOnlyList<ExpiredJob>> JobListExpiredAsync(JobExpiredParams p, CancellationToken ct)
    {
        await using var connection = await OpenAsync(ct);
        await using var command = Command(connection, Sql["job_list_expired"]);
        command.Parameters.AddWithValue("@now", T(p.Now));
        command.Parameters.AddWithValue("@limit", p.Limit);
        var jobs = new List<ExpiredJob>();
        await using var reader = await command.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
            jobs.Add(new ExpiredJob(reader.GetInt64(0), reader.GetInt32(1), reader.GetInt32(2), reader.GetString(3), reader.GetString(4)));
        return jobs;
    }

    public async Task<int> JobPromoteScheduledAsync(JobPromoteParams p, CancellationToken ct)
    {
        await using var write = await WriteLockAsync(ct);
        await using var connection = await OpenAsync(ct);
        await using var command = Command(connection, Sql["job_promote_scheduled"]);
        command.Parameters.AddWithValue("@now", T(p.Now));
        command.Parameters.AddWithValue("@limit", p.Limit);
        var promoted = await command.ExecuteNonQueryAsync(ct);
        if (promoted > 0)
            _notifier.Publish("*");
        return promoted;
    }

    public async Task<int> JobPruneAsync(JobPruneParams p, CancellationToken ct)
    {
        await using var write = await WriteLockAsync(ct);
        await using var connection = await OpenAsync(ct);
        await using var command = Command(connection, Sql["job_prune"]);
        command.Parameters.AddWithValue("@completed_before", T(p.CompletedBefore));
        command.Parameters.AddWithValue("@failed_before", T(p.FailedBefore));
        command.Parameters.AddWithValue("@batch_size", p.BatchSize);
        return await command.ExecuteNonQueryAsync(ct);
    }

    public async Task<Job?> JobGetAsync(long id, CancellationToken ct)
    {
        await using var connection = await OpenAsync(ct);
        await using var command = Command(connection, Sql["job_columns"] + " WHERE id = @id");
        command.Parameters.AddWithValue("@id", id);
        await using var reader = await command.ExecuteReaderAsync(ct);
        return await reader.ReadAsync(ct) ? ReadJob(reader) : null;
    }

    public async Task<IReadOnlyList<Job>> JobListAsync(JobListParams p, CancellationToken ct)
    {
        await using var connection = await OpenAsync(ct);
        await using var command = Command(connection, "");
        var where = StoreQueries.JobListWhere(p, command);
        command.Parameters.AddWithValue("@limit", p.Limit);
        command.CommandText = Sql["job_columns"] + where + " ORDER BY id DESC LIMIT @limit";
        var jobs = new List<Job>();
        await using var reader = await command.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
            jobs.Add(ReadJob(reader));
        return jobs;
    }

    public async Task<IReadOnlyList<QueueStats>> QueueStatsAsync(QueueStatsParams p, CancellationToken ct)
    {
        await using var connection = await OpenAsync(ct);
        await using var command = Command(connection, Sql["queue_stats"]);
        command.Parameters.AddWithValue("@now", T(p.Now));
        var stats = new QueueStatsBuilder(p.Now);
        await using var reader = await command.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
        {
            stats.Add(reader.GetString(0), reader.IsDBNull(1) ? null : JobStateNames.Parse(reader.GetString(1)), reader.GetInt64(2),
                reader.IsDBNull(3) ? null : SqliteTime.Parse(reader.GetString(3)), reader.GetBoolean(4));
        }
        return stats.Build();
    }

    public async Task WorkerUpsertAsync(WorkerRecord worker, CancellationToken ct)
    {
        await using var write = await WriteLockAsync(ct);
        await using var connection = await OpenAsync(ct);
        await using var command = Command(connection, Sql["worker_upsert"]);
        command.Parameters.AddWithValue("@id", worker.Id);
        command.Parameters.AddWithValue("@host", worker.Host);
        command.Parameters.AddWithValue("@pid", worker.Pid);
        command.Parameters.AddWithValue("@queues", BatchJson.Strings(worker.Queues));
        command.Parameters.AddWithValue("@concurrency", worker.Concurrency);
        command.Parameters.AddWithValue("@started_at", T(worker.StartedAt));
        command.Parameters.AddWithValue("@last_seen_at", T(worker.LastSeenAt));
        command.Parameters.AddWithValue("@running", worker.Running);
        await command.ExecuteNonQueryAsync(ct);
    }

    public async Task WorkerRemoveAsync(string workerId, CancellationToken ct)
    {
        await using var write = await WriteLockAsync(ct);
        await using var connection = await OpenAsync(ct);
        await using var command = Command(connection, "DELETE FROM conveyor_workers WHERE id = @id");
        command.Parameters.AddWithValue("@id", workerId);
        await command.ExecuteNonQueryAsync(ct);
    }

    public async Task<IReadOnlyList<WorkerRecord>> WorkerListAsync(CancellationToken ct)
    {
        await using var connection = await OpenAsync(ct);
        await using var command = Command(connection, Sql["worker_list"]);
        var workers = new List<WorkerRecord>();
        await using var reader = await command.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
        {
            workers.Add(new WorkerRecord(reader.GetString(0), reader.GetString(1), reader.GetInt32(2),
                JsonSerializer.Deserialize<List<string>>(reader.GetString(3)) ?? [], reader.GetInt32(4),
                SqliteTime.Parse(reader.GetString(5)), SqliteTime.Parse(reader.GetString(6)), reader.GetInt32(7)));
        }
        return workers;
    }

    public async Task<int> WorkerPruneAsync(DateTimeOffset lastSeenBefore, CancellationToken ct)
    {
        await using var write = await WriteLockAsync(ct);
        await using var connection = await OpenAsync(ct);
        await using var command = Command(connection, "DELETE FROM conveyor_workers WHERE last_seen_at < @before");
        command.Parameters.AddWithValue("@before", T(lastSeenBefore));
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
        RunAt = SqliteTime.Parse(r.GetString(9)),
        CreatedAt = SqliteTime.Parse(r.GetString(10)),
        StartedAt = Time(r, 11),
        FinishedAt = Time(r, 12),
        LeaseUntil = Time(r, 13),
        WorkerId = r.IsDBNull(14) ? null : r.GetString(14),
        Progress = r.IsDBNull(15) && r.IsDBNull(16) && r.IsDBNull(17)
            ? null
            : new JobProgress(r.IsDBNull(15) ? null : r.GetInt32(15), r.IsDBNull(16) ? null : r.GetString(16), r.IsDBNull(17) ? null : r.GetInt64(17), r.IsDBNull(18) ? null : r.GetInt64(18)),
        Errors = JsonSerializer.Deserialize<List<JobError>>(r.GetString(19), ConveyorJson.Options) ?? [],
        BatchId = r.IsDBNull(20) ? null : r.GetString(20),
        UniqueKey = r.IsDBNull(21) ? null : r.GetString(21),
        ConcurrencyKey = r.IsDBNull(22) ? null : r.GetString(22),
        Tags = JsonSerializer.Deserialize<List<string>>(r.GetString(23)) ?? [],
        Timeout = r.IsDBNull(24) ? null : TimeSpan.FromSeconds(r.GetDouble(24)),
        CancelRequestedAt = Time(r, 25),
    };

    private static DateTimeOffset? Time(DbDataReader r, int ordinal) => r.IsDBNull(ordinal) ? null : SqliteTime.Parse(r.GetString(ordinal));
}
