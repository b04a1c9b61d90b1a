using System.Text.Json;
using System.Text.Json.Nodes;

namespace Conveyor.Storage.Relational;

// Batch callbacks: recorded with the batch, enqueued by the transaction that ends its last job.
public abstract partial class SqlStore
{
    /// <inheritdoc />
    public async Task<bool> BatchCreateAsync(BatchCreateParams p, CancellationToken ct)
    {
        var callbacks = new JsonArray([.. p.Callbacks.Select(c => (JsonNode)new JsonObject
        {
            ["on"] = c.On, ["kind"] = c.Job.Kind, ["queue"] = c.Job.Queue, ["args"] = JsonNode.Parse(c.Job.Args),
            ["priority"] = c.Job.Priority, ["max_attempts"] = c.Job.MaxAttempts,
        })]);
        await using var session = await WriteAsync(ct);
        await using var command = Command(session, "batch_create", p.Now).With("id", p.Id).With("callbacks", callbacks.ToJsonString());
        var created = (await ReadAllAsync(command, r => r.String("id"), ct)).Count == 1;
        await session.CommitAsync(ct);
        return created;
    }

    /// <summary>
    /// In the (atomic) transaction that just ended the jobs <paramref name="ended"/>: the batches (with callbacks) whose last job it
    /// ended are marked finished and their callbacks inserted, once. Returns the queues of the callback jobs, to wake their
    /// workers after commit.
    /// </summary>
    private async Task<IReadOnlyList<string>> FinishBatchesAsync(SqlSession session, IEnumerable<long> ended, DateTimeOffset? now, CancellationToken ct)
    {
        List<string> locked;
        await using (var lockCommand = Command(session, "batch_lock").With("ids", JsonSerializer.Serialize(ended.Distinct().Order())))
            locked = await ReadAllAsync(lockCommand, r => r.String("id"), ct);
        if (locked.Count == 0)
            return [];
        List<(string Id, string Callbacks, long Total, long Completed, string Failed)> finished;
        await using (var finish = Command(session, "batch_finish", now).With("ids", JsonSerializer.Serialize(locked)))
            finished = await ReadAllAsync(finish, r => (r.String("id"), r.String("callbacks"), r.Long("total"), r.Long("completed"), r.String("failed_ids")), ct);
        var queues = new List<string>();
        foreach (var batch in finished)
        {
            var outcome = batch.Completed == batch.Total ? "success" : "failure";
            var info = new JsonObject
            {
                ["id"] = batch.Id, ["outcome"] = outcome, ["total"] = batch.Total, ["completed"] = batch.Completed,
                ["failed"] = JsonNode.Parse(batch.Failed),
            };
            var rows = new List<JobInsertRow>();
            foreach (var callback in JsonNode.Parse(batch.Callbacks)!.AsArray())
            {
                var on = (string)callback!["on"]!;
                if (on != "complete" && on != outcome)
                    continue;
                var args = callback["args"] as JsonObject ?? [];
                args["batch"] = info.DeepClone();
                rows.Add(new JobInsertRow((string)callback["kind"]!, (string)callback["queue"]!, args.ToJsonString(),
                    (int)callback["priority"]!, (int)callback["max_attempts"]!));
            }
            if (rows.Count == 0)
                continue;
            await using var insert = Command(session, "job_insert_many", now).With("jobs", JsonParameters.Jobs(rows));
            var ids = await ReadAllAsync(insert, r => r.Long("id"), ct);
            await using var record = Command(session, "batch_callback_jobs").With("id", batch.Id).With("jobs", JsonSerializer.Serialize(ids));
            await record.ExecuteNonQueryAsync(ct);
            queues.AddRange(rows.Select(r => r.Queue));
        }
        return queues;
    }
}
