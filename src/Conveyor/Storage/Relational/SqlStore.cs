using System.Data.Common;

namespace Conveyor.Storage.Relational;

/// <summary>
/// A store over a SQL database, written once over <see cref="System.Data.Common"/>: each operation is one SQL file
/// of the dialect (<c>Sql/job_claim.sql</c>...) run through the same plumbing and read by the same
/// <see cref="RowReader"/>. State rules live in those statements (fenced updates that change only what may change)
/// and in <see cref="AdminResults"/>; a dialect holds only what truly differs.
/// </summary>
public abstract partial class SqlStore : IConveyorStore
{
    private readonly SqlDialect _dialect;

    private protected SqlStore(SqlDialect dialect) => _dialect = dialect;

    /// <inheritdoc />
    public string Description => _dialect.Description;

    /// <inheritdoc />
    public IJobNotifier Notifier => _dialect.Notifier;

    /// <summary>Stops the notifier and releases the database.</summary>
    public async ValueTask DisposeAsync()
    {
        await _dialect.Notifier.StopAsync(CancellationToken.None);
        await _dialect.DisposeAsync();
    }

    private protected Task<SqlSession> ReadAsync(CancellationToken ct) => SqlSession.ReadAsync(_dialect, ct);

    private protected Task<SqlSession> WriteAsync(CancellationToken ct, bool atomic = false) => SqlSession.WriteAsync(_dialect, ct, atomic);

    /// <summary>The dialect's statement <paramref name="name"/>.</summary>
    private protected DbCommand Command(SqlSession session, string name) => session.Command(_dialect.Sql(name));

    /// <summary>The dialect's statement <paramref name="name"/>, which decides by time: <c>@now</c> is bound (null: the store's clock).</summary>
    private protected DbCommand Command(SqlSession session, string name, DateTimeOffset? now)
    {
        var command = Command(session, name);
        _dialect.BindNow(command, now);
        return command;
    }

    // everyRowSet: read the rows of every statement that returns them (PostgreSQL's claim returns the limited queues' jobs,
    // then the others'); otherwise only the first such statement's.
    private protected async Task<List<T>> ReadAllAsync<T>(DbCommand command, Func<RowReader, T> read, CancellationToken ct, bool everyRowSet = false)
    {
        var rows = new List<T>();
        await using var reader = await command.ExecuteReaderAsync(ct);
        var first = true;
        do
        {
            // Statements that return no columns (PostgreSQL's claim locks limited queues first) are passed over; so, after
            // the first, are all statements unless every row set is wanted (SQLite's read-then-update files).
            if (reader.FieldCount == 0 || (!first && !everyRowSet))
                continue;
            first = false;
            var row = new RowReader(reader, _dialect);
            while (await reader.ReadAsync(ct))
                rows.Add(read(row));
        }
        while (await reader.NextResultAsync(ct));
        return rows;
    }

    private async Task NotifyReadyAsync(IEnumerable<string> queues, CancellationToken ct)
    {
        foreach (var queue in queues.Distinct(StringComparer.Ordinal))
            await _dialect.Notifier.NotifyAsync(NotifierTopics.JobsReady, queue, ct);
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<JobInsertResult>> JobInsertManyAsync(JobInsertManyParams p, CancellationToken ct)
    {
        if (p.Jobs.Count == 0)
            return [];
        var owned = p.Transaction is null;
        var waits = p.Jobs.Any(j => j.DependsOn is { Count: > 0 });
        // Waiting jobs, their edges and their release commit together.
        var session = owned ? await WriteAsync(ct, atomic: waits) : SqlSession.Borrow(_dialect.ApplicationConnection(p.Transaction!), p.Transaction!);
        JobInsertResult[] results;
        List<AppliedOutcome> released = [];
        await using (session)
        {
            if (waits)
                await MarkDependenciesAsync(session, p.Jobs, ct);
            results = await InsertRowsAsync(session, p.Jobs, p.Now, ct);
            if (waits)
                released = await InsertDependenciesAsync(session, p.Jobs, results, p.Now, ct);
            await session.CommitAsync(ct);
        }
        // This process's workers wake at once; other processes hear of it from the store (a trigger's NOTIFY at
        // commit, SQLite's data_version watch). Inside the application's transaction only the store can tell.
        if (owned)
        {
            var now = p.Now ?? DateTimeOffset.UtcNow;
            foreach (var queue in p.Jobs.Where(j => j.DependsOn is not { Count: > 0 } && j.Delay is not { Ticks: > 0 } && (j.RunAt is null || j.RunAt <= now)).Select(j => j.Queue).Distinct())
                _dialect.Notifier.PublishLocal(NotifierTopics.JobsReady, queue);
        }
        // Released at once (their dependencies had ended): a trigger's NOTIFY only covers rows inserted queued.
        await NotifyReadyAsync(released.Where(r => r.State == JobState.Queued).Select(r => r.Queue), ct);
        return results;
    }

    /// <summary>
    /// Plain rows in numbers go by the dialect's bulk path where it has one (PostgreSQL: binary COPY); the others, and
    /// any row that can conflict, wait or be scheduled, by job_insert_many.sql, whose ON CONFLICT and database-clock
    /// state choice COPY cannot do. Below <see cref="BulkInsertFrom"/> rows the one statement is the fewer round trips.
    /// </summary>
    private async Task<JobInsertResult[]> InsertRowsAsync(SqlSession session, IReadOnlyList<JobInsertRow> jobs, DateTimeOffset? now, CancellationToken ct)
    {
        if (jobs.Count >= BulkInsertFrom && jobs.All(IsPlain)
            && await _dialect.BulkInsertAsync(session.Connection, session.Transaction, jobs, now, ct) is { } ids)
            return [.. ids.Select(id => new JobInsertResult(id, false))];
        await using var insert = Command(session, "job_insert_many", now).With("jobs", JsonParameters.Jobs(jobs));
        var inserted = await ReadAllAsync(insert, r => (Id: r.Long("id"), UniqueKey: r.NullableString("unique_key")), ct);
        return await MatchInsertedAsync(session, jobs, inserted, ct);
    }

    private const int BulkInsertFrom = 64;

    private static bool IsPlain(JobInsertRow job) =>
        job.UniqueKey is null && job.DependsOn is not { Count: > 0 } && job.RunAt is null && job.Delay is not { Ticks: > 0 };

    /// <summary>
    /// Ids come out ascending in request order, so the inserted rows and the request are walked together; a row that
    /// inserted nothing held a taken unique key, whose live holder is looked up.
    /// </summary>
    private async Task<JobInsertResult[]> MatchInsertedAsync(SqlSession session, IReadOnlyList<JobInsertRow> jobs, List<(long Id, string? UniqueKey)> inserted, CancellationToken ct)
    {
        inserted.Sort((a, b) => a.Id.CompareTo(b.Id));
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
        if (duplicates.Count == 0)
            return results;
        await using var find = Command(session, "job_find_unique")
            .With("unique_keys", JsonParameters.Strings(duplicates.Select(i => jobs[i].UniqueKey!).Distinct()));
        var holders = (await ReadAllAsync(find, r => (Key: r.String("unique_key"), Id: r.Long("id")), ct)).ToDictionary(h => h.Key, h => h.Id);
        foreach (var i in duplicates)
        {
            results[i] = holders.TryGetValue(jobs[i].UniqueKey!, out var holder)
                ? new JobInsertResult(holder, true)
                : throw new InvalidOperationException($"Unique key '{jobs[i].UniqueKey}' conflicted but no live job holds it.");
        }
        return results;
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<ClaimedJob>> JobClaimAsync(JobClaimParams p, CancellationToken ct)
    {
        await using var session = await WriteAsync(ct);
        await using var command = session.Command("");
        command.CommandText = await _dialect.ClaimSqlAsync(session.Connection, command, p.Queues, ct);
        _dialect.BindNow(command, p.Now);
        command.With("worker_id", p.WorkerId).WithSeconds("lease", p.Lease).With("max", p.Max)
            .With("ahead", Math.Clamp(p.Ahead, 0, p.Max)).With("reserve", Math.Max(0, p.Reserve))
            .With("kinds", p.Kinds is null ? null : JsonParameters.Strings(p.Kinds));
        var jobs = await ReadAllAsync(command, r => r.ClaimedJob(), ct, everyRowSet: true);
        await session.CommitAsync(ct);
        // RETURNING gives the rows in the order the update met them (PostgreSQL: the table's; SQLite: unspecified), and
        // a worker claiming ahead starts them in the order returned.
        jobs.Sort(static (a, b) => b.Priority != a.Priority ? b.Priority.CompareTo(a.Priority)
            : Nullable.Compare(a.RunAt, b.RunAt) is var byRunAt and not 0 ? byRunAt : a.Id.CompareTo(b.Id));
        return jobs;
    }

    /// <inheritdoc />
    public async Task<JobHeartbeatResult> JobHeartbeatAsync(JobHeartbeatParams p, CancellationToken ct)
    {
        if (p.Jobs.Count == 0)
            return new JobHeartbeatResult([], []);
        await using var session = await WriteAsync(ct);
        await using var command = Command(session, "job_heartbeat", p.Now)
            .With("worker_id", p.WorkerId).WithSeconds("lease", p.Lease);
        _dialect.BindLeases(command, p.Jobs);
        var held = await ReadAllAsync(command, r => (Lease: new JobLease(r.Long("id"), r.Int("attempt")), Cancel: r.Bool("cancel_requested")), ct);
        await session.CommitAsync(ct);
        var heldSet = held.Select(h => h.Lease).ToHashSet();
        return new JobHeartbeatResult([.. held.Where(h => h.Cancel).Select(h => h.Lease)], [.. p.Jobs.Where(l => !heldSet.Contains(l))]);
    }

    /// <inheritdoc />
    public async Task<bool> JobProgressAsync(JobProgressParams p, CancellationToken ct)
    {
        await using var session = await WriteAsync(ct);
        await using var command = Command(session, "job_progress")
            .With("id", p.Id).With("attempt", p.Attempt).With("worker_id", p.WorkerId)
            .With("progress", p.Progress.Percent).With("progress_stage", p.Progress.Stage)
            .With("progress_done", p.Progress.Done).With("progress_total", p.Progress.Total);
        var written = await command.ExecuteNonQueryAsync(ct) > 0; // SQLite also counts its change-counter bump
        await session.CommitAsync(ct);
        return written;
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<AppliedOutcome>> JobApplyOutcomesAsync(JobApplyOutcomesParams p, CancellationToken ct)
    {
        if (p.Outcomes.Count == 0)
            return [];
        List<AppliedOutcome> applied;
        List<AppliedOutcome> released = [];
        IReadOnlyList<string> callbackQueues;
        // One transaction: a batch whose last job this ends gets its callbacks in it, and jobs waiting on these are released in it.
        await using (var session = await WriteAsync(ct, atomic: true))
        {
            // In id order, so that two writers ending overlapping jobs (the completer and a shutdown's hand-back) lock their
            // rows in the same order and cannot deadlock.
            await using var command = Command(session, "job_apply_outcomes", p.Now);
            _dialect.BindOutcomes(command, [.. p.Outcomes.OrderBy(o => o.Lease.Id)]);
            var batches = false;
            var waited = new List<long>();
            applied = await ReadAllAsync(command, r =>
            {
                batches |= r.Long("batches_locked") > 0;
                if (r.Bool("has_dependents"))
                    waited.Add(r.Long("id"));
                return new AppliedOutcome(r.Long("id"), r.String("queue"), r.State("state"));
            }, ct);
            if (waited.Count > 0)
                released = await ReleaseDependentsAsync(session, waited, p.Now, ct);
            callbackQueues = batches || released.Any(r => r.State.IsTerminal())
                ? await FinishBatchesAsync(session, applied.Concat(released).Where(a => a.State.IsTerminal()).Select(a => a.Id), p.Now, ct)
                : [];
            await session.CommitAsync(ct);
        }
        // Jobs handed back at shutdown, and jobs whose dependencies ended, are ready now: wake every worker of their queues.
        await NotifyReadyAsync(applied.Concat(released).Where(a => a.State == JobState.Queued).Select(a => a.Queue).Concat(callbackQueues), ct);
        return applied;
    }
}
