using System.Data.Common;

namespace Conveyor.Testing;

/// <summary>
/// The kit's <see cref="IJobClient"/>: the real client, and after each enqueue the kit notes the new jobs and, in inline
/// mode, runs them. An enqueue inside the caller's own transaction cannot run before it commits: it runs at the next drain.
/// </summary>
internal sealed class TestJobClient(IJobClient inner, TestConveyor kit) : IJobClient
{
    public async Task<EnqueueResult> EnqueueAsync<TArgs>(TArgs args, EnqueueOptions? options = null, CancellationToken ct = default) where TArgs : notnull =>
        await kit.AfterEnqueueAsync(await inner.EnqueueAsync(args, options, ct), ct);

    public Task<EnqueueResult> EnqueueAsync<TArgs>(TArgs args, EnqueueOptions? options, DbTransaction transaction, CancellationToken ct = default) where TArgs : notnull =>
        inner.EnqueueAsync(args, options, transaction, ct);

    public async Task<EnqueueResult> EnqueueKindAsync(string kind, string? argsJson = null, EnqueueOptions? options = null, CancellationToken ct = default) =>
        await kit.AfterEnqueueAsync(await inner.EnqueueKindAsync(kind, argsJson, options, ct), ct);

    public async Task<IReadOnlyList<EnqueueResult>> EnqueueManyAsync(IReadOnlyList<JobRequest> requests, DbTransaction? transaction = null, CancellationToken ct = default)
    {
        var results = await inner.EnqueueManyAsync(requests, transaction, ct);
        return transaction is null ? await kit.AfterEnqueueAsync(results, ct) : results;
    }

    public async Task<BatchResult> EnqueueBatchAsync(IReadOnlyList<JobRequest> requests, string? batchId = null, CancellationToken ct = default) =>
        await kit.AfterEnqueueAsync(await inner.EnqueueBatchAsync(requests, batchId, ct), ct);

    public async Task<BatchResult> EnqueueBatchAsync(IReadOnlyList<JobRequest> requests, string? batchId, BatchCallbacks callbacks, CancellationToken ct = default) =>
        await kit.AfterEnqueueAsync(await inner.EnqueueBatchAsync(requests, batchId, callbacks, ct), ct);

    public Task<BatchStatus?> BatchAsync(string batchId, CancellationToken ct = default) => inner.BatchAsync(batchId, ct);
    public Task<Job?> GetAsync(long id, CancellationToken ct = default) => inner.GetAsync(id, ct);
    public Task<JobWhy> WhyAsync(long id, CancellationToken ct = default) => inner.WhyAsync(id, ct);
    public Task<IReadOnlyList<Job>> ListAsync(JobQuery query, CancellationToken ct = default) => inner.ListAsync(query, ct);
    public Task<IReadOnlyList<QueueStats>> QueuesAsync(CancellationToken ct = default) => inner.QueuesAsync(ct);
    public Task<CancelResult> CancelAsync(long id, CancellationToken ct = default) => inner.CancelAsync(id, ct);
    public Task<RetryResult> RetryAsync(long id, CancellationToken ct = default) => inner.RetryAsync(id, ct);
    public Task<DeleteOutcome> DeleteAsync(long id, CancellationToken ct = default) => inner.DeleteAsync(id, ct);

    public Task<BulkProgress> ApplyToAllAsync(JobBulkAction action, JobQuery filter, Action<BulkProgress>? progress = null, CancellationToken ct = default) =>
        inner.ApplyToAllAsync(action, filter, progress, ct);

    public Task<bool> PauseQueueAsync(string queue, CancellationToken ct = default) => inner.PauseQueueAsync(queue, ct);
    public Task<bool> ResumeQueueAsync(string queue, CancellationToken ct = default) => inner.ResumeQueueAsync(queue, ct);
    public Task<QueueLimits> SetQueueLimitsAsync(string queue, QueueLimits limits, CancellationToken ct = default) => inner.SetQueueLimitsAsync(queue, limits, ct);

    /// <summary>
    /// The job if it has finished. On the kit's clock, waiting would never end, so an unfinished job is an error that says what
    /// to call: run it with <see cref="TestConveyor.DrainAsync"/>, or move time with <see cref="TestConveyor.AdvanceAsync"/>.
    /// </summary>
    public async Task<Job> WaitAsync(long id, TimeSpan? timeout = null, Action<Job>? onChange = null, CancellationToken ct = default)
    {
        var job = await inner.GetAsync(id, ct) ?? throw new JobNotFoundException(id);
        if (!job.State.IsTerminal())
            throw new InvalidOperationException($"Job {id} is {job.State.ToName()}: in a test nothing runs by itself; call DrainAsync (and AdvanceAsync for delays and retries) first.");
        onChange?.Invoke(job);
        return job;
    }
}
