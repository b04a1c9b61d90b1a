using System.Data.Common;

namespace Conveyor.Storage;

/// <summary>The store-independent parts of a few queries, so that every store filters and aggregates alike.</summary>
public static class StoreQueries
{
    /// <summary>
    /// The filter of a job list as a parameterised WHERE clause (empty when unfiltered) plus its parameters,
    /// named <c>@state @queue @kind @batch_id @after</c>; the caller adds <c>@limit</c>.
    /// </summary>
    public static string JobListWhere(JobListParams p, DbCommand command)
    {
        var where = new List<string>();
        void Add(string clause, string name, object value)
        {
            where.Add(clause);
            var parameter = command.CreateParameter();
            parameter.ParameterName = name;
            parameter.Value = value;
            command.Parameters.Add(parameter);
        }
        if (p.State is { } state)
            Add("state = @state", "@state", state.ToName());
        if (p.Queue is not null)
            Add("queue = @queue", "@queue", p.Queue);
        if (p.Kind is not null)
            Add("kind = @kind", "@kind", p.Kind);
        if (p.BatchId is not null)
            Add("batch_id = @batch_id", "@batch_id", p.BatchId);
        if (p.AfterId is { } after)
            Add("id < @after", "@after", after);
        return where.Count > 0 ? " WHERE " + string.Join(" AND ", where) : "";
    }

    /// <summary>
    /// Runs a heartbeat statement returning (id, cancel requested) per lease it extended: the jobs asked about
    /// but not returned are no longer held by the worker.
    /// </summary>
    public static async Task<JobHeartbeatResult> HeartbeatAsync(DbCommand command, IReadOnlyList<JobLease> asked, CancellationToken ct)
    {
        var held = new HashSet<long>();
        var cancel = new List<long>();
        await using (var reader = await command.ExecuteReaderAsync(ct))
        {
            while (await reader.ReadAsync(ct))
            {
                var id = reader.GetInt64(0);
                held.Add(id);
                if (reader.GetBoolean(1))
                    cancel.Add(id);
            }
        }
        return new JobHeartbeatResult(cancel, [.. asked.Select(j => j.Id).Where(id => !held.Contains(id))]);
    }
}

/// <summary>Folds rows of (queue, state, count, oldest ready run_at, paused) into one <see cref="QueueStats"/> per queue.</summary>
public sealed class QueueStatsBuilder(DateTimeOffset now)
{
    private readonly SortedDictionary<string, (Dictionary<JobState, long> Counts, DateTimeOffset? Oldest, bool Paused)> _queues = new(StringComparer.Ordinal);

    /// <param name="state">Null for a queue row with no jobs (a paused, empty queue).</param>
    public void Add(string queue, JobState? state, long count, DateTimeOffset? oldestReady, bool paused)
    {
        if (!_queues.TryGetValue(queue, out var entry))
            entry = (new Dictionary<JobState, long>(), null, paused);
        if (state is { } s)
            entry.Counts[s] = count;
        if (oldestReady is { } oldest && (entry.Oldest is null || oldest < entry.Oldest))
            entry.Oldest = oldest;
        _queues[queue] = entry;
    }

    public IReadOnlyList<QueueStats> Build() =>
        [.. _queues.Select(kv => new QueueStats(kv.Key, kv.Value.Counts, kv.Value.Oldest is { } o ? now - o : null, kv.Value.Paused))];
}
