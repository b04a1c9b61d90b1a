using System.Data.Common;

namespace Conveyor;

/// <summary>Enqueue, inspect, wait for, cancel and retry jobs. Thread-safe; one per application.</summary>
public interface IJobClient
{
    /// <summary>Enqueues a job of the kind registered for <typeparamref name="TArgs"/>.</summary>
    Task<EnqueueResult> EnqueueAsync<TArgs>(TArgs args, EnqueueOptions? options = null, CancellationToken ct = default) where TArgs : notnull;

    /// <summary>Enqueues inside the application's own transaction: the job exists if and only if it commits (PostgreSQL and SQLite).</summary>
    Task<EnqueueResult> EnqueueAsync<TArgs>(TArgs args, EnqueueOptions? options, DbTransaction transaction, CancellationToken ct = default) where TArgs : notnull;

    /// <summary>Enqueues by kind string with JSON args (null: <c>{}</c>), as the HTTP API and CLI do.</summary>
    Task<EnqueueResult> EnqueueKindAsync(string kind, string? argsJson = null, EnqueueOptions? options = null, CancellationToken ct = default);

    /// <summary>Enqueues many jobs in one store round trip; all are validated before any is written.</summary>
    Task<IReadOnlyList<EnqueueResult>> EnqueueManyAsync(IReadOnlyList<JobRequest> requests, DbTransaction? transaction = null, CancellationToken ct = default);

    /// <summary>
    /// Enqueues many jobs as one batch, in one store round trip (all validated first): each gets <paramref name="batchId"/>
    /// (null: a new id). Follow it with <see cref="BatchAsync"/> or the events stream (<c>?batch=</c>).
    /// </summary>
    Task<BatchResult> EnqueueBatchAsync(IReadOnlyList<JobRequest> requests, string? batchId = null, CancellationToken ct = default);

    /// <summary>
    /// Enqueues a batch with callbacks, enqueued exactly once in the transaction that ends its last job: on complete
    /// (always), on success (every job completed), on failure (any failed or was cancelled). A new batch id is required
    /// for callbacks (one that already exists is refused).
    /// </summary>
    Task<BatchResult> EnqueueBatchAsync(IReadOnlyList<JobRequest> requests, string? batchId, BatchCallbacks callbacks, CancellationToken ct = default);

    /// <summary>A batch's jobs by state and their mean progress, or null when no job has this batch id.</summary>
    Task<BatchStatus?> BatchAsync(string batchId, CancellationToken ct = default);

    /// <summary>One job, or null when no job has this id.</summary>
    Task<Job?> GetAsync(long id, CancellationToken ct = default);

    /// <summary>
    /// Why the job is not running (or what it is doing): waiting on dependencies, scheduled for later, its queue paused, no
    /// live worker serving its queue or running its kind, or ready and waiting its turn. Throws <see cref="JobNotFoundException"/>.
    /// </summary>
    Task<JobWhy> WhyAsync(long id, CancellationToken ct = default);

    /// <summary>Jobs matching <paramref name="query"/>, newest first.</summary>
    Task<IReadOnlyList<Job>> ListAsync(JobQuery query, CancellationToken ct = default);

    /// <summary>Per queue: counts by state and the age of the oldest job ready to run.</summary>
    Task<IReadOnlyList<QueueStats>> QueuesAsync(CancellationToken ct = default);

    /// <summary>Cancels a waiting job at once, or asks a running one to stop.</summary>
    Task<CancelResult> CancelAsync(long id, CancellationToken ct = default);

    /// <summary>Runs a failed or cancelled job again (granting one more attempt when its budget is spent).</summary>
    Task<RetryResult> RetryAsync(long id, CancellationToken ct = default);

    /// <summary>Deletes a job that is not running (a running job must be cancelled first).</summary>
    Task<DeleteOutcome> DeleteAsync(long id, CancellationToken ct = default);

    /// <summary>
    /// Retries, cancels or deletes every job <paramref name="filter"/> selects (its Limit and AfterId are ignored), a page
    /// of ids at a time, each only where the rules allow; <paramref name="progress"/> hears of each page.
    /// </summary>
    Task<BulkProgress> ApplyToAllAsync(JobBulkAction action, JobQuery filter, Action<BulkProgress>? progress = null, CancellationToken ct = default);

    /// <summary>Pauses a queue: its jobs stay, new ones are accepted, none is handed out until it is resumed. True when it changed.</summary>
    Task<bool> PauseQueueAsync(string queue, CancellationToken ct = default);

    /// <summary>Resumes a paused queue. True when it changed.</summary>
    Task<bool> ResumeQueueAsync(string queue, CancellationToken ct = default);

    /// <summary>
    /// Sets a queue's limits, replacing the ones it had (<c>new QueueLimits()</c> clears them): concurrency across all
    /// processes, per <see cref="EnqueueOptions.ConcurrencyKey"/>, and a rate. Every claim checks them from then on; no restart.
    /// Returns the limits the queue had before.
    /// </summary>
    Task<QueueLimits> SetQueueLimitsAsync(string queue, QueueLimits limits, CancellationToken ct = default);

    /// <summary>Waits until the job finishes (or <paramref name="timeout"/> passes: <see cref="TimeoutException"/>), calling <paramref name="onChange"/> as it moves.</summary>
    Task<Job> WaitAsync(long id, TimeSpan? timeout = null, Action<Job>? onChange = null, CancellationToken ct = default);
}

/// <summary>No job has this id.</summary>
public sealed class JobNotFoundException(long id) : JobValidationException($"No job with id {id}.")
{
    /// <summary>The id asked for.</summary>
    public long Id { get; } = id;
}
