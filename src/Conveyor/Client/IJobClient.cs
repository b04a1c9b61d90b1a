using System.Data.Common;
using Conveyor.Storage;

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

    Task<Job?> GetAsync(long id, CancellationToken ct = default);

    Task<IReadOnlyList<Job>> ListAsync(JobListParams query, CancellationToken ct = default);

    Task<IReadOnlyList<QueueStats>> QueuesAsync(CancellationToken ct = default);

    Task<JobCancelResult> CancelAsync(long id, CancellationToken ct = default);

    Task<JobRetryResult> RetryAsync(long id, CancellationToken ct = default);

    /// <summary>Waits until the job finishes (or <paramref name="timeout"/> passes: <see cref="TimeoutException"/>), calling <paramref name="onChange"/> as it moves.</summary>
    Task<Job> WaitAsync(long id, TimeSpan? timeout = null, Action<Job>? onChange = null, CancellationToken ct = default);
}

/// <summary>No job has this id.</summary>
public sealed class JobNotFoundException(long id) : JobValidationException($"No job with id {id}.")
{
    public long Id { get; } = id;
}
