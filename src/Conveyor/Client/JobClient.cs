using System.Data.Common;
using System.Text.Json;
using Conveyor.Storage;

namespace Conveyor;

internal sealed class JobClient(
    IConveyorStore store,
    StoreReadiness readiness,
    ConveyorOptions options,
    JobKindRegistry kinds,
    TimeProvider time) : IJobClient
{
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
        var now = time.GetUtcNow();
        var rows = new JobInsertRow[requests.Count];
        for (var i = 0; i < requests.Count; i++)
        {
            try
            {
                rows[i] = ToRow(requests[i], now);
            }
            catch (JobValidationException ex) when (requests.Count > 1)
            {
                throw new JobValidationException($"Job {i}: {ex.Message}");
            }
        }

        await readiness.EnsureReadyAsync(ct);
        // Wake-ups are the store's business: a trigger's NOTIFY on PostgreSQL (delivered at commit), an in-process signal on SQLite.
        var inserted = await store.JobInsertManyAsync(new JobInsertManyParams(rows, now, transaction), ct);

        var results = new EnqueueResult[inserted.Count];
        for (var i = 0; i < inserted.Count; i++)
            results[i] = new EnqueueResult(inserted[i].Id, inserted[i].Duplicate);
        return results;
    }

    private JobInsertRow ToRow(JobRequest request, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(request);
        JobValidation.ValidateKind(request.Kind);
        var registered = kinds.TryGet(request.Kind, out var registration);
        if (!registered && options.StrictKinds)
            throw new UnknownJobKindException(request.Kind);
        var o = request.Options ?? new EnqueueOptions();
        JobValidation.ValidateOptions(o);
        var args = JobValidation.ValidateArgs(request.ArgsJson, options.MaxArgsBytes);
        var kindOptions = registered ? registration.Options : null;
        var runAt = o.RunAt ?? (o.Delay is { } delay ? now + delay : now);
        return new JobInsertRow(
            Kind: request.Kind,
            Queue: o.Queue ?? kindOptions?.Queue ?? "default",
            Args: args,
            Priority: o.Priority ?? 0,
            MaxAttempts: o.MaxAttempts ?? kindOptions?.MaxAttempts ?? options.DefaultMaxAttempts,
            RunAt: runAt,
            UniqueKey: o.UniqueKey,
            ConcurrencyKey: o.ConcurrencyKey,
            BatchId: o.BatchId,
            Tags: o.Tags,
            Timeout: o.Timeout);
    }

    public async Task<Job?> GetAsync(long id, CancellationToken ct = default)
    {
        await readiness.EnsureReadyAsync(ct);
        return await store.JobGetAsync(id, ct);
    }

    public async Task<IReadOnlyList<Job>> ListAsync(JobListParams query, CancellationToken ct = default)
    {
        if (query.Limit is < 1 or > 1000)
            throw new JobValidationException($"Limit must be between 1 and 1000 (got {query.Limit}).");
        await readiness.EnsureReadyAsync(ct);
        return await store.JobListAsync(query, ct);
    }

    public async Task<IReadOnlyList<QueueStats>> QueuesAsync(CancellationToken ct = default)
    {
        await readiness.EnsureReadyAsync(ct);
        return await store.QueueStatsAsync(new QueueStatsParams(time.GetUtcNow()), ct);
    }

    public async Task<JobCancelResult> CancelAsync(long id, CancellationToken ct = default)
    {
        await readiness.EnsureReadyAsync(ct);
        return await store.JobCancelAsync(new JobCancelParams(id, time.GetUtcNow()), ct);
    }

    public async Task<JobRetryResult> RetryAsync(long id, CancellationToken ct = default)
    {
        await readiness.EnsureReadyAsync(ct);
        return await store.JobRetryAsync(new JobRetryParams(id, time.GetUtcNow()), ct);
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
                var job = await store.JobGetAsync(id, linked.Token) ?? throw new JobNotFoundException(id);
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
