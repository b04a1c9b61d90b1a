using Conveyor.Storage;

namespace Conveyor;

/// <summary>"Why is my job not running?": the job's state and the reasons, the most decisive first.</summary>
/// <param name="JobId">The job.</param>
/// <param name="State">Its state now.</param>
/// <param name="Reasons">Why it is in that state and what it waits for; never empty.</param>
public sealed record JobWhy(long JobId, JobState State, IReadOnlyList<JobWhyReason> Reasons);

/// <summary>One reason.</summary>
/// <param name="Code">
/// Stable, for programs: finished, running, waiting-on-dependencies, scheduled, queue-paused, queue-limit, key-limit,
/// rate-limit, no-worker-for-queue, no-worker-for-kind, ready.
/// </param>
/// <param name="Message">A sentence for people.</param>
public sealed record JobWhyReason(string Code, string Message);

/// <summary>
/// Reads the job, its queue and the workers registry, and says what stands between the job and a worker. Every check is
/// one small read (no per-job scan): the job row, the queues' kept counts, the workers list.
/// </summary>
internal static class JobWhyExplainer
{
    public static async Task<JobWhy> ExplainAsync(Job job, IJobClient client, IWorkerRegistry? registry, DateTimeOffset now, CancellationToken ct)
    {
        var reasons = new List<JobWhyReason>();
        switch (job.State)
        {
            case JobState.Completed or JobState.Failed or JobState.Cancelled:
                reasons.Add(new("finished", $"It has finished: {job.State.ToName()}{(job.FinishedAt is { } at ? $" at {at:u}" : "")}, after {job.Attempt} attempt{(job.Attempt == 1 ? "" : "s")}."));
                return new JobWhy(job.Id, job.State, reasons);
            case JobState.Running:
                reasons.Add(new("running", $"It is running on worker {job.WorkerId} (attempt {job.Attempt} of {job.MaxAttempts}) since {job.StartedAt:u}; "
                    + $"its lease runs to {job.LeaseUntil:u} and is renewed by the worker's heartbeats."));
                return new JobWhy(job.Id, job.State, reasons);
            case JobState.Waiting:
                var open = (job.Dependencies ?? []).Where(d => d.State is not { } s || !s.IsTerminal()).ToList();
                reasons.Add(new("waiting-on-dependencies", $"It waits for {open.Count} of its {job.Dependencies?.Count ?? 0} dependencies to end: "
                    + string.Join(", ", open.Take(10).Select(d => $"job {d.JobId} ({d.State?.ToName() ?? "deleted"})")) + (open.Count > 10 ? ", ..." : "") + "."));
                break;
            case JobState.Scheduled when job.RunAt > now:
                var last = job.Errors.Count > 0 ? job.Errors[^1] : null;
                reasons.Add(new("scheduled", $"It is scheduled for {job.RunAt:u}, in {Durations.Format(job.RunAt - now)}"
                    + (last is null ? "." : $": a retry after attempt {last.Attempt} failed ({last.Type}: {last.Message}).")));
                break;
        }

        var ready = reasons.Count == 0;
        var queue = (await client.QueuesAsync(ct)).FirstOrDefault(q => q.Queue == job.Queue);
        if (queue is { Paused: true })
            reasons.Add(new("queue-paused", $"Queue '{job.Queue}' is paused: none of its jobs is handed out until it is resumed (conveyor queues resume {job.Queue})."));
        if (ready && queue is not null)
            await AddLimitReasonsAsync(job, queue, client, reasons, ct);

        if (registry is not null)
        {
            var workers = await registry.WorkerListAsync(new WorkerListParams(), ct);
            var onQueue = workers.Where(w => w.Queues.Contains(job.Queue)).ToList();
            var forKind = onQueue.Where(w => w.Kinds is null || w.Kinds.Contains(job.Kind)).ToList();
            if (onQueue.Count == 0)
            {
                var served = workers.SelectMany(w => w.Queues).Distinct().Order().ToList();
                reasons.Add(new("no-worker-for-queue", $"No live worker serves queue '{job.Queue}'"
                    + (served.Count == 0 ? " (no worker is running)." : $" (workers serve: {string.Join(", ", served)}).")));
            }
            else if (forKind.Count == 0)
            {
                var kinds = onQueue.SelectMany(w => w.Kinds ?? []).Distinct().Order().ToList();
                reasons.Add(new("no-worker-for-kind", $"No live worker on queue '{job.Queue}' runs kind '{job.Kind}' (they run: {string.Join(", ", kinds)}); "
                    + "it waits, uncharged, until one that has a handler for it starts."));
            }
            else if (reasons.Count == 0)
            {
                var slots = forKind.Sum(w => w.Concurrency);
                var busy = forKind.Sum(w => Math.Min(w.Running, w.Concurrency));
                reasons.Add(new("ready", $"It is ready and waits its turn: queue '{job.Queue}' has {queue?.Count(JobState.Queued) ?? 0} queued jobs, "
                    + $"and the {forKind.Count} worker{(forKind.Count == 1 ? "" : "s")} that can run it have {slots - busy} of {slots} slots free "
                    + "(higher priorities and earlier jobs go first)."));
            }
        }
        if (reasons.Count == 0)
            reasons.Add(new("ready", $"It is ready: the next worker on queue '{job.Queue}' with a free slot takes it."));
        return new JobWhy(job.Id, job.State, reasons);
    }

    /// <summary>The queue's limits that hold a ready job back now: its concurrency, its key's places, its rate window.</summary>
    private static async Task AddLimitReasonsAsync(Job job, QueueStats queue, IJobClient client, List<JobWhyReason> reasons, CancellationToken ct)
    {
        var running = queue.Count(JobState.Running);
        if (queue.Limits.Concurrency is { } limit && running >= limit)
            reasons.Add(new("queue-limit", $"Queue '{job.Queue}' is at its concurrency limit: {running} of {limit} running across all workers; "
                + "it starts when one of them ends (conveyor queues limit to change it)."));
        if (queue.Limits.PerKey is { } perKey && job.ConcurrencyKey is { } key)
        {
            var holders = await client.ListAsync(new JobQuery { Queue = job.Queue, State = JobState.Running, ConcurrencyKey = key, Limit = Math.Min(perKey, 1000) }, ct);
            if (holders.Count >= perKey)
                reasons.Add(new("key-limit", $"Key '{key}' has {holders.Count} of {perKey} jobs running in queue '{job.Queue}' (jobs "
                    + string.Join(", ", holders.Take(10).Select(h => h.Id)) + (holders.Count > 10 ? ", ..." : "") + "); other keys' jobs go ahead of it meanwhile."));
        }
        if (queue.RateLimitedUntil is { } until && queue.Limits.Rate is { } rate)
            reasons.Add(new("rate-limit", $"Queue '{job.Queue}' has started its {rate.Count} jobs for this window (rate {rate}); starts resume at {until:u}."));
    }
}
