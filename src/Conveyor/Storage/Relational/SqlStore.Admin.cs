using System.Data.Common;

namespace Conveyor.Storage.Relational;

// Administration, queries, maintenance, the worker registry and migrations: the same plumbing as the hot path.
public abstract partial class SqlStore
{
    // One job's cancel and retry are the bulk statements over one id (job_bulk_cancel.sql, job_bulk_retry.sql, which
    // change only what the rules allow and notify the worker or the queue); when nothing changed, the job's state says why.

    /// <inheritdoc />
    public async Task<JobCancelResult> JobCancelAsync(JobCancelParams p, CancellationToken ct)
    {
        var (before, after) = await ChangeOneAsync(JobBulkAction.Cancel, p.Id, p.Now, ct);
        return AdminResults.Cancel(before, after);
    }

    /// <inheritdoc />
    public async Task<JobRetryResult> JobRetryAsync(JobRetryParams p, CancellationToken ct)
    {
        var (before, after) = await ChangeOneAsync(JobBulkAction.Retry, p.Id, p.Now, ct);
        return AdminResults.Retry(before, after);
    }

    /// <summary>The job's state before and after one bulk action on it (both its current state when nothing changed; null when it does not exist).</summary>
    private async Task<(JobState? Before, JobState? After)> ChangeOneAsync(JobBulkAction action, long id, DateTimeOffset? now, CancellationToken ct)
    {
        var changed = await JobBulkAsync(new JobBulkParams(action, [id], now), ct);
        if (changed.Count == 1)
            return (changed[0].Previous, changed[0].State);
        var state = (await JobGetAsync(id, ct))?.State;
        return (state, state);
    }

    /// <inheritdoc />
    public async Task<Job?> JobGetAsync(long id, CancellationToken ct)
    {
        await using var session = await ReadAsync(ct);
        Job? job;
        await using (var command = session.Command(_dialect.Sql("job_columns") + " WHERE id = @id").With("id", id))
            job = (await ReadAllAsync(command, r => r.Job(), ct)).FirstOrDefault();
        if (job is null)
            return null;
        await using var dependencies = Command(session, "dependency_list").With("id", id);
        return job with { Dependencies = await ReadAllAsync(dependencies, r => r.Dependency(), ct) };
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<Job>> JobListAsync(JobListParams p, CancellationToken ct)
    {
        await using var session = await ReadAsync(ct);
        await using var command = session.Command("");
        command.CommandText = _dialect.Sql("job_columns") + JobListWhere(p, command) + " ORDER BY id DESC LIMIT @limit";
        command.With("limit", p.Limit);
        return await ReadAllAsync(command, r => r.Job(), ct);
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<QueueStats>> QueueStatsAsync(QueueStatsParams p, CancellationToken ct)
    {
        await using var session = await ReadAsync(ct);
        await using var command = Command(session, "queue_stats", p.Now);
        var rows = await ReadAllAsync(command, r => (Queue: r.String("queue"), State: r.NullableState("state"),
            Count: r.Long("count"), Oldest: r.NullableTime("oldest_ready"), Paused: r.Bool("paused"), Now: r.Time("now"),
            Limits: ReadLimits(r), RateLimitedUntil: r.NullableTime("rate_limited_until")), ct);
        return [.. rows.GroupBy(r => r.Queue, StringComparer.Ordinal).OrderBy(g => g.Key, StringComparer.Ordinal).Select(g =>
        {
            var oldest = g.Min(r => r.Oldest);
            return new QueueStats(g.Key, g.Where(r => r.State is not null).ToDictionary(r => r.State!.Value, r => r.Count),
                oldest is { } o ? g.First().Now - o : null, g.Any(r => r.Paused))
            {
                Limits = g.First().Limits,
                RateLimitedUntil = g.First().RateLimitedUntil,
            };
        })];
    }

    /// <inheritdoc />
    public async Task<QueueLimits> QueueLimitsAsync(QueueLimitsParams p, CancellationToken ct)
    {
        p.Limits.Validate(); // the one range check, for every caller (client, HTTP, CLI)
        QueueLimits before;
        await using (var session = await WriteAsync(ct))
        {
            await using var command = Command(session, "queue_limits").With("queue", p.Queue)
                .With("concurrency_limit", p.Limits.Concurrency).With("per_key_limit", p.Limits.PerKey)
                .With("rate_limit", p.Limits.Rate?.Count).With("rate_period_ms", (long?)p.Limits.Rate?.Period.TotalMilliseconds);
            before = (await ReadAllAsync(command, ReadLimits, ct)).FirstOrDefault() ?? new QueueLimits();
            await session.CommitAsync(ct);
        }
        _dialect.LimitsChanged();
        // Workers waiting on a limit that was raised or lifted may claim at once.
        await NotifyReadyAsync([p.Queue], ct);
        return before;
    }

    private static QueueLimits ReadLimits(RowReader r) => new(
        (int?)r.NullableLong("concurrency_limit"), (int?)r.NullableLong("per_key_limit"),
        r.NullableLong("rate_limit") is { } count ? new QueueRate((int)count, TimeSpan.FromMilliseconds(r.Long("rate_period_ms"))) : null);

    /// <inheritdoc />
    public async Task<IReadOnlyList<ExpiredJob>> JobListExpiredAsync(JobExpiredParams p, CancellationToken ct)
    {
        await using var session = await ReadAsync(ct);
        await using var command = Command(session, "job_list_expired", p.Now).With("limit", p.Limit);
        return await ReadAllAsync(command, r => new ExpiredJob(r.Long("id"), r.Int("attempt"), r.Int("max_attempts"), r.String("worker_id"), r.String("kind")), ct);
    }

    /// <inheritdoc />
    public async Task<int> JobPromoteScheduledAsync(JobPromoteParams p, CancellationToken ct)
    {
        List<string> queues;
        await using (var session = await WriteAsync(ct))
        {
            await using var command = Command(session, "job_promote_scheduled", p.Now).With("limit", p.Limit);
            queues = await ReadAllAsync(command, r => r.String("queue"), ct);
            await session.CommitAsync(ct);
        }
        await NotifyReadyAsync(queues, ct);
        return queues.Count;
    }

    /// <inheritdoc />
    public async Task<int> JobPruneAsync(JobPruneParams p, CancellationToken ct)
    {
        await ExecuteAsync("throughput_prune", p.Now, _ => { }, ct);
        return await ExecuteAsync("job_prune", p.Now, c => c.WithSeconds("completed_retention", p.CompletedRetention)
            .WithSeconds("failed_retention", p.FailedRetention).With("batch_size", p.BatchSize), ct);
    }

    /// <inheritdoc />
    public Task<int> WorkerPruneAsync(WorkerPruneParams p, CancellationToken ct) =>
        ExecuteAsync("worker_prune", p.Now, c => c.WithSeconds("stale_after", p.StaleAfter), ct);

    /// <inheritdoc />
    public Task WorkerUpsertAsync(WorkerUpsertParams p, CancellationToken ct) =>
        ExecuteAsync("worker_upsert", p.Now, c => c.With("id", p.Id).With("host", p.Host).With("pid", p.Pid)
            .With("queues", JsonParameters.Strings(p.Queues)).With("concurrency", p.Concurrency).With("running", p.Running)
            .With("kinds", p.Kinds is null ? null : JsonParameters.Strings(p.Kinds)), ct);

    /// <inheritdoc />
    public Task WorkerRemoveAsync(WorkerRemoveParams p, CancellationToken ct) =>
        ExecuteAsync("worker_remove", c => c.With("id", p.Id), ct);

    /// <inheritdoc />
    public async Task<IReadOnlyList<WorkerRecord>> WorkerListAsync(WorkerListParams p, CancellationToken ct)
    {
        await using var session = await ReadAsync(ct);
        await using var command = Command(session, "worker_list");
        return await ReadAllAsync(command, r => r.Worker(), ct);
    }

    private Task<int> ExecuteAsync(string sql, DateTimeOffset? now, Action<DbCommand> bind, CancellationToken ct) =>
        ExecuteAsync(sql, c =>
        {
            _dialect.BindNow(c, now);
            bind(c);
        }, ct);

    private async Task<int> ExecuteAsync(string sql, Action<DbCommand> bind, CancellationToken ct)
    {
        await using var session = await WriteAsync(ct);
        await using var command = Command(session, sql);
        bind(command);
        var count = await command.ExecuteNonQueryAsync(ct);
        await session.CommitAsync(ct);
        return count;
    }

    /// <summary>
    /// Applies the embedded migrations in order, each in its own transaction, under the dialect's migration lock so
    /// that processes starting together migrate once; refuses a database written by a newer Conveyor.
    /// </summary>
    public async Task MigrateAsync(CancellationToken ct)
    {
        var migrations = _dialect.Migrations();
        var latest = migrations.Max(m => m.Version);
        await using var connection = await _dialect.OpenAsync(ct);
        await using var _ = await _dialect.MigrationLockAsync(connection, ct);
        foreach (var migration in migrations)
        {
            await using var transaction = await _dialect.BeginWriteAsync(connection, ct) ?? await connection.BeginTransactionAsync(ct);
            var session = SqlSession.Borrow(connection, transaction);
            await using (var table = Command(session, "migrations_table"))
                await table.ExecuteNonQueryAsync(ct);
            await using var versions = Command(session, "migration_versions");
            var applied = (await ReadAllAsync(versions, r => r.Int("version"), ct)).ToHashSet();
            if (applied.Count > 0 && applied.Max() > latest)
                throw new StoreVersionException($"{Description} has schema version {applied.Max()}; this Conveyor knows up to {latest}. Upgrade Conveyor.");
            if (applied.Contains(migration.Version))
                continue;
            await using (var apply = session.Command(migration.Text))
                await apply.ExecuteNonQueryAsync(ct);
            await using (var record = Command(session, "migration_record").With("version", migration.Version).With("name", migration.Name))
                await record.ExecuteNonQueryAsync(ct);
            await transaction.CommitAsync(ct);
        }
    }
}
