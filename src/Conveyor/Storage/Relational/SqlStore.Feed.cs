using System.Data.Common;
using System.Text.Json;

namespace Conveyor.Storage.Relational;

// The change feed, bulk actions and queue pausing: what the live dashboard and server-sent events are made of.
public abstract partial class SqlStore
{
    /// <inheritdoc />
    public async Task<JobChangePage> JobChangesAsync(JobChangesParams p, CancellationToken ct)
    {
        await using var session = await ReadAsync(ct);
        long settled;
        // The settled point first: rows read after it include every change below it.
        await using (var settle = Command(session, "change_settled"))
            settled = (await ReadAllAsync(settle, r => r.Long("settled"), ct))[0];
        if (p.Limit <= 0)
            return new JobChangePage([], settled);
        await using var command = session.Command("");
        var where = new List<string> { "(change_seq > @after_seq OR (change_seq = @after_seq AND id > @after_id))" };
        command.With("after_seq", p.After.Seq).With("after_id", p.After.Id);
        if (p.JobId is { } id)
        {
            where.Add("id = @job_id");
            command.With("job_id", id);
        }
        if (p.BatchId is not null)
        {
            where.Add("batch_id = @batch_id");
            command.With("batch_id", p.BatchId);
        }
        if (p.Queue is not null)
        {
            where.Add("queue = @queue");
            command.With("queue", p.Queue);
        }
        command.CommandText = _dialect.Sql("job_changes") + " WHERE " + string.Join(" AND ", where) + " ORDER BY change_seq, id LIMIT @limit";
        command.With("limit", p.Limit);
        var changes = await ReadAllAsync(command, r => r.Change(), ct);
        return new JobChangePage(changes, settled);
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<long>> JobIdsAsync(JobListParams p, CancellationToken ct)
    {
        await using var session = await ReadAsync(ct);
        await using var command = session.Command("");
        command.CommandText = _dialect.Sql("job_ids") + JobListWhere(p, command) + " ORDER BY id DESC LIMIT @limit";
        command.With("limit", p.Limit);
        return await ReadAllAsync(command, r => r.Long("id"), ct);
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<ThroughputPoint>> ThroughputAsync(ThroughputParams p, CancellationToken ct)
    {
        await using var session = await ReadAsync(ct);
        await using var command = Command(session, "throughput").With("queue", p.Queue);
        _dialect.BindTime(command, "since", p.Since);
        return await ReadAllAsync(command, r => new ThroughputPoint(r.Time("minute"), r.Long("completed"), r.Long("failed")), ct);
    }

    /// <inheritdoc />
    public async Task<BatchStatus?> BatchStatusAsync(string batchId, CancellationToken ct)
    {
        await using var session = await ReadAsync(ct);
        await using var command = Command(session, "batch_stats").With("batch_id", batchId);
        var rows = await ReadAllAsync(command, r => (State: r.State("state"), Count: r.Long("count"), Sum: r.Double("progress_sum"), Weight: r.Double("weight_sum")), ct);
        if (rows.Count == 0)
            return null;
        // Weighted: each job counts its weight (1 unless given), so a large file moves the bar more than a small one.
        return new BatchStatus(batchId, rows.ToDictionary(r => r.State, r => r.Count), Math.Round(rows.Sum(r => r.Sum) / rows.Sum(r => r.Weight), 2));
    }

    /// <inheritdoc />
    public async Task<int> JobCountsFoldAsync(CancellationToken ct)
    {
        await using var session = await WriteAsync(ct);
        await using var command = Command(session, "counts_fold");
        var folded = (await ReadAllAsync(command, r => r.Int("folded"), ct))[0];
        await session.CommitAsync(ct);
        return folded;
    }

    /// <inheritdoc />
    public async Task<long> JobCountAsync(JobListParams p, CancellationToken ct)
    {
        await using var session = await ReadAsync(ct);
        await using var command = session.Command("");
        command.CommandText = _dialect.Sql("job_count") + JobListWhere(p with { AfterId = null }, command);
        return (await ReadAllAsync(command, r => r.Long("count"), ct))[0];
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<JobBulkChange>> JobBulkAsync(JobBulkParams p, CancellationToken ct)
    {
        if (p.Ids.Count == 0)
            return [];
        var sql = p.Action switch
        {
            JobBulkAction.Retry => "job_bulk_retry",
            JobBulkAction.Cancel => "job_bulk_cancel",
            JobBulkAction.Delete => "job_bulk_delete",
            _ => throw new ArgumentOutOfRangeException(nameof(p), p.Action, "Unknown bulk action."),
        };
        List<JobBulkChange> changed;
        List<AppliedOutcome> released = [];
        IReadOnlyList<string> callbackQueues = [];
        // A cancel or a delete ends jobs others may wait on: their release (and a batch's callbacks) commit with it.
        await using (var session = await WriteAsync(ct, atomic: p.Action != JobBulkAction.Retry))
        {
            await using var command = Command(session, sql, p.Now).With("ids", JsonSerializer.Serialize(p.Ids));
            changed = await ReadAllAsync(command, r => new JobBulkChange(r.Long("id"), r.State("previous_state"), r.NullableState("state"), r.String("queue")), ct);
            var ended = changed.Where(c => c.State is null or JobState.Cancelled).Select(c => c.Id).ToList();
            if (p.Action != JobBulkAction.Retry && ended.Count > 0)
                released = await ReleaseDependentsAsync(session, ended, p.Now, ct);
            var finished = (p.Action == JobBulkAction.Cancel ? ended : []).Concat(released.Where(r => r.State.IsTerminal()).Select(r => r.Id)).ToList();
            if (finished.Count > 0)
                callbackQueues = await FinishBatchesAsync(session, finished, p.Now, ct);
            await session.CommitAsync(ct);
        }
        if (p.Action == JobBulkAction.Retry)
            await NotifyReadyAsync(changed.Select(c => c.Queue), ct);
        await NotifyReadyAsync(released.Where(r => r.State == JobState.Queued).Select(r => r.Queue), ct);
        await NotifyReadyAsync(callbackQueues, ct);
        if (p.Action == JobBulkAction.Cancel)
        {
            foreach (var running in changed.Where(c => c.Previous == JobState.Running))
                await _dialect.Notifier.NotifyAsync(NotifierTopics.Control, ControlMessage.CancelJob(running.Id).ToJson(), ct);
        }
        return changed;
    }

    /// <inheritdoc />
    public async Task<bool> QueuePauseAsync(QueuePauseParams p, CancellationToken ct)
    {
        bool wasPaused;
        await using (var session = await WriteAsync(ct))
        {
            await using var command = Command(session, "queue_pause", p.Now).With("queue", p.Queue).With("paused", p.Paused, System.Data.DbType.Boolean);
            wasPaused = (await ReadAllAsync(command, r => r.Bool("was_paused"), ct))[0];
            await session.CommitAsync(ct);
        }
        if (!p.Paused && wasPaused)
            await NotifyReadyAsync([p.Queue], ct);
        return wasPaused != p.Paused;
    }

    /// <summary>The list's filter as a parameterised WHERE clause; what the databases spell differently comes from the dialect.</summary>
    private string JobListWhere(JobListParams p, DbCommand command)
    {
        var where = new List<string>();
        void Add(string column, string op, string name, object value)
        {
            where.Add($"{column} {op} @{name}");
            command.With(name, value, value is long ? System.Data.DbType.Int64 : System.Data.DbType.String);
        }
        if (p.State is { } state)
            Add("state", "=", "state", state.ToName());
        if (p.Queue is not null)
            Add("queue", "=", "queue", p.Queue);
        if (p.Kind is not null)
            Add("kind", "=", "kind", p.Kind);
        if (p.BatchId is not null)
            Add("batch_id", "=", "batch_id", p.BatchId);
        if (p.ConcurrencyKey is not null)
            Add("concurrency_key", "=", "concurrency_key", p.ConcurrencyKey);
        if (p.AfterId is { } after)
            Add("id", "<", "after", after);
        if (p.Tag is not null)
            where.Add(_dialect.HasTag(command, p.Tag));
        if (p.CreatedFrom is { } from)
            where.Add("created_at >= " + _dialect.BindTime(command, "created_from", from));
        if (p.CreatedTo is { } to)
            where.Add("created_at < " + _dialect.BindTime(command, "created_to", to));
        if (p.ArgsContains is not null)
            where.Add(_dialect.ArgsContain(command, p.ArgsContains));
        return where.Count > 0 ? " WHERE " + string.Join(" AND ", where) : "";
    }
}
