using System.Data.Common;
using System.Text.Json;
using Conveyor.Storage;
using Microsoft.Extensions.Options;

namespace Conveyor;

internal sealed class JobClient(
    IJobExecutionStore jobs,
    IJobAdminStore admin,
    IJobMonitor monitor,
    StoreReadiness readiness,
    IOptions<ConveyorOptions> configured,
    JobKindRegistry kinds,
    JobRowFactory rowFactory,
    TimeProvider time,
    Telemetry.ConveyorMetrics? metrics = null,
    Telemetry.ConveyorTracing? tracing = null,
    IWorkerRegistry? workers = null) : IJobClient
{
    private readonly ConveyorOptions options = configured.Value;

    private static readonly TimeSpan WaitPollInterval = TimeSpan.FromMilliseconds(100);

    public Task<EnqueueResult> EnqueueAsync<TArgs>(TArgs args, EnqueueOptions? enqueueOptions = null, CancellationToken ct = default) where TArgs : notnull =>
        EnqueueTypedAsync(args, enqueueOptions, null, ct);

    public Task<EnqueueResult> EnqueueAsync<TArgs>(TArgs args, EnqueueOptions? enqueueOptions, DbTransaction transaction, CancellationToken ct = default) where TArgs : notnull =>
        EnqueueTypedAsync(args, enqueueOptions, transaction ?? throw new ArgumentNullException(nameof(transaction)), ct);

    private async Task<EnqueueResult> EnqueueTypedAsync<TArgs>(TArgs args, EnqueueOptions? enqueueOptions, DbTransaction? transaction, CancellationToken ct) where TArgs : notnull
    {
        if (!kinds.TryGetByArgsType(typeof(TArgs), out var registration))
            throw new InvalidOperationException($"No kind is registered for args type {typeof(TArgs).FullName}; register one with AddHandler<{typeof(TArgs).Name}, THandler>(\"kind\") or enqueue with a JobRequest.");
        var json = JsonSerializer.Serialize(args, ConveyorJson.Options);
        var results = await EnqueueManyAsync([new JobRequest(registration.Kind, json, enqueueOptions)], transaction, ct);
        return results[0];
    }

    public async Task<EnqueueResult> EnqueueKindAsync(string kind, string? argsJson = null, EnqueueOptions? enqueueOptions = null, CancellationToken ct = default) =>
        (await EnqueueManyAsync([new JobRequest(kind, argsJson, enqueueOptions)], null, ct))[0];

    public async Task<IReadOnlyList<EnqueueResult>> EnqueueManyAsync(IReadOnlyList<JobRequest> requests, DbTransaction? transaction = null, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(requests);
        if (requests.Count == 0)
            return [];
        var dependencies = DependencyGraph.Resolve(requests);
        var rows = new JobInsertRow[requests.Count];
        for (var i = 0; i < requests.Count; i++)
        {
            try
            {
                rows[i] = rowFactory.Create(requests[i]) with { DependsOn = dependencies[i] };
            }
            catch (JobValidationException ex) when (requests.Count > 1)
            {
                // Which job of the batch, keeping what kind of problem it is (too large is 413 over HTTP).
                throw ex is JobTooLargeException ? new JobTooLargeException($"Job {i}: {ex.Message}") : new JobValidationException($"Job {i}: {ex.Message}");
            }
        }

        await readiness.EnsureReadyAsync(ct);
        using var producer = tracing?.StartEnqueue(rows);
        if (Telemetry.ConveyorTracing.TraceParentOf(producer) is { } traceParent)
        {
            // The producer span is in the caller's trace, so the attempt continues the producer span; a job that names a
            // context of another trace keeps its own.
            var trace = producer?.TraceId.ToHexString();
            for (var i = 0; i < rows.Length; i++)
            {
                if (rows[i].TraceParent is null || (trace is not null && rows[i].TraceParent!.AsSpan(3, 32).SequenceEqual(trace)))
                    rows[i] = rows[i] with { TraceParent = traceParent };
            }
        }
        // Wake-ups are the store's business: a trigger's NOTIFY on PostgreSQL (delivered at commit), an in-process signal on SQLite.
        var inserted = await jobs.JobInsertManyAsync(new JobInsertManyParams(rows, Transaction: transaction), ct);

        var results = new EnqueueResult[inserted.Count];
        for (var i = 0; i < inserted.Count; i++)
        {
            results[i] = new EnqueueResult(inserted[i].Id, inserted[i].Duplicate);
            if (!inserted[i].Duplicate)
                metrics?.Enqueued(rows[i].Queue, rows[i].Kind);
        }
        return results;
    }

    public Task<BatchResult> EnqueueBatchAsync(IReadOnlyList<JobRequest> requests, string? batchId = null, CancellationToken ct = default) =>
        EnqueueBatchAsync(requests, batchId, new BatchCallbacks(), ct);

    public async Task<BatchResult> EnqueueBatchAsync(IReadOnlyList<JobRequest> requests, string? batchId, BatchCallbacks callbacks, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(requests);
        ArgumentNullException.ThrowIfNull(callbacks);
        if (requests.Count == 0)
            throw new JobValidationException("A batch needs at least one job.");
        batchId ??= "b-" + Guid.NewGuid().ToString("n")[..16];
        JobValidation.ValidateNameText(batchId, "Batch id");
        if (callbacks.Any)
        {
            var rows = new List<(string On, JobInsertRow Job)>();
            foreach (var (on, callback) in new[] { ("complete", callbacks.OnComplete), ("success", callbacks.OnSuccess), ("failure", callbacks.OnFailure) })
            {
                if (callback is null)
                    continue;
                var row = rowFactory.Create(new JobRequest(callback.Kind, callback.Args, new EnqueueOptions { Queue = callback.Queue }));
                if (!row.Args.TrimStart().StartsWith('{'))
                    throw new JobValidationException($"The on-{on} callback's args must be a JSON object (the batch's outcome is added to it).");
                rows.Add((on, row));
            }
            await readiness.EnsureReadyAsync(ct);
            if (!await jobs.BatchCreateAsync(new BatchCreateParams(batchId, rows), ct))
                throw new JobValidationException($"Batch '{batchId}' already exists; callbacks need a new batch id.");
        }
        var results = await EnqueueManyAsync([.. requests.Select(r => r with { Options = (r.Options ?? new EnqueueOptions()) with { BatchId = batchId } })], null, ct);
        return new BatchResult(batchId, results);
    }

    public async Task<BatchStatus?> BatchAsync(string batchId, CancellationToken ct = default)
    {
        await readiness.EnsureReadyAsync(ct);
        return await monitor.BatchStatusAsync(batchId, ct);
    }

    public async Task<Job?> GetAsync(long id, CancellationToken ct = default)
    {
        await readiness.EnsureReadyAsync(ct);
        return await monitor.JobGetAsync(id, ct);
    }

    public async Task<IReadOnlyList<Job>> ListAsync(JobQuery query, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(query);
        if (query.Limit is < 1 or > 1000)
            throw new JobValidationException($"Limit must be between 1 and 1000 (got {query.Limit}).");
        if (query.ArgsContains is not null)
            JobValidation.ValidateArgsFilter(query.ArgsContains);
        await readiness.EnsureReadyAsync(ct);
        return await monitor.JobListAsync(ToParams(query), ct);
    }

    public async Task<IReadOnlyList<QueueStats>> QueuesAsync(CancellationToken ct = default)
    {
        await readiness.EnsureReadyAsync(ct);
        return await monitor.QueueStatsAsync(new QueueStatsParams(), ct);
    }

    public async Task<CancelResult> CancelAsync(long id, CancellationToken ct = default)
    {
        await readiness.EnsureReadyAsync(ct);
        var result = await admin.JobCancelAsync(new JobCancelParams(id), ct);
        return new CancelResult(result.Outcome switch
        {
            JobCancelOutcome.Cancelled => CancelOutcome.Cancelled,
            JobCancelOutcome.CancelRequested => CancelOutcome.CancelRequested,
            JobCancelOutcome.AlreadyFinished => CancelOutcome.AlreadyFinished,
            _ => CancelOutcome.NotFound,
        }, result.State);
    }

    public async Task<RetryResult> RetryAsync(long id, CancellationToken ct = default)
    {
        await readiness.EnsureReadyAsync(ct);
        var result = await admin.JobRetryAsync(new JobRetryParams(id), ct);
        return new RetryResult(result.Outcome switch
        {
            JobRetryOutcome.Retried => RetryOutcome.Retried,
            JobRetryOutcome.NotRetryable => RetryOutcome.NotRetryable,
            _ => RetryOutcome.NotFound,
        }, result.State);
    }

    public async Task<DeleteOutcome> DeleteAsync(long id, CancellationToken ct = default)
    {
        await readiness.EnsureReadyAsync(ct);
        if ((await admin.JobBulkAsync(new JobBulkParams(JobBulkAction.Delete, [id]), ct)).Count == 1)
            return DeleteOutcome.Deleted;
        return await monitor.JobGetAsync(id, ct) is null ? DeleteOutcome.NotFound : DeleteOutcome.Running;
    }

    /// <summary>Walks the filter newest to oldest by id (keyset), so jobs that leave the filter as they change do not shift the walk.</summary>
    public async Task<BulkProgress> ApplyToAllAsync(JobBulkAction action, JobQuery filter, Action<BulkProgress>? progress = null, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(filter);
        if (filter.ArgsContains is not null)
            JobValidation.ValidateArgsFilter(filter.ArgsContains);
        await readiness.EnsureReadyAsync(ct);
        var where = ToParams(filter with { AfterId = null }) with { Limit = BulkPageSize };
        var state = new BulkProgress(await monitor.JobCountAsync(where, ct), 0, 0);
        progress?.Invoke(state);
        long? after = null;
        while (true)
        {
            var ids = await monitor.JobIdsAsync(where with { AfterId = after }, ct);
            if (ids.Count == 0)
                break;
            var changed = await admin.JobBulkAsync(new JobBulkParams(action, ids), ct);
            state = state with { Processed = state.Processed + ids.Count, Changed = state.Changed + changed.Count };
            progress?.Invoke(state);
            after = ids[^1];
            if (ids.Count < BulkPageSize)
                break;
        }
        return state;
    }

    /// <summary>Ids per statement of a bulk action: one short write each, so a 500,000-job action never holds a lock for long.</summary>
    private const int BulkPageSize = 500;

    public Task<bool> PauseQueueAsync(string queue, CancellationToken ct = default) => SetPausedAsync(queue, true, ct);

    public Task<bool> ResumeQueueAsync(string queue, CancellationToken ct = default) => SetPausedAsync(queue, false, ct);

    private async Task<bool> SetPausedAsync(string queue, bool paused, CancellationToken ct)
    {
        JobValidation.ValidateQueue(queue);
        await readiness.EnsureReadyAsync(ct);
        return await admin.QueuePauseAsync(new QueuePauseParams(queue, paused), ct);
    }

    public async Task<QueueLimits> SetQueueLimitsAsync(string queue, QueueLimits limits, CancellationToken ct = default)
    {
        JobValidation.ValidateQueue(queue);
        ArgumentNullException.ThrowIfNull(limits);
        await readiness.EnsureReadyAsync(ct);
        return await admin.QueueLimitsAsync(new QueueLimitsParams(queue, limits), ct);
    }

    private static JobListParams ToParams(JobQuery query) => new(query.State, query.Queue, query.Kind, query.BatchId, query.Limit, query.AfterId)
    {
        Tag = query.Tag, ConcurrencyKey = query.ConcurrencyKey, CreatedFrom = query.CreatedFrom, CreatedTo = query.CreatedTo, ArgsContains = query.ArgsContains,
    };

    public async Task<JobWhy> WhyAsync(long id, CancellationToken ct = default)
    {
        var job = await GetAsync(id, ct) ?? throw new JobNotFoundException(id);
        return await JobWhyExplainer.ExplainAsync(job, this, workers, time.GetUtcNow(), ct);
    }

    public async Task<Job> WaitAsync(long id, TimeSpan? timeout = null, Action<Job>? onChange = null, CancellationToken ct = default)
    {
        await readiness.EnsureReadyAsync(ct);
        using var timeoutSource = timeout is { } t ? new CancellationTokenSource(t, time) : new CancellationTokenSource();
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(ct, timeoutSource.Token);
        Job? last = null;
        try
        {
            while (true)
            {
                var job = await monitor.JobGetAsync(id, linked.Token) ?? throw new JobNotFoundException(id);
                if (last is null || !SameView(last, job))
                    onChange?.Invoke(job);
                last = job;
                if (job.IsFinished)
                    return job;
                await Task.Delay(WaitPollInterval, time, linked.Token);
            }
        }
        catch (OperationCanceledException) when (timeoutSource.IsCancellationRequested && !ct.IsCancellationRequested)
        {
            throw new TimeoutException($"Job {id} did not finish within {timeout}; it is {last?.State.ToName() ?? "unknown"}.");
        }
    }

    private static bool SameView(Job a, Job b) =>
        a.State == b.State && a.Attempt == b.Attempt && Equals(a.Progress, b.Progress);
}
