namespace Conveyor.Storage;

/// <summary>
/// The write side of a store: the few operations the engine needs to move jobs through their life.
/// Every method takes a parameters record, so adding a field breaks no store. Every outcome written
/// on behalf of a worker is fenced by (id, attempt, worker id): a late write from a worker whose job
/// was rescued and claimed again changes nothing. Wake-ups are the store's business too: an operation
/// that makes jobs ready (insert, retry, promote, hand-back) wakes the workers of that queue.
/// </summary>
public interface IJobStore
{
    /// <summary>Inserts many jobs in one round trip; a job whose unique key is held by a live job is not inserted and the holder's id is returned.</summary>
    Task<IReadOnlyList<JobInsertResult>> JobInsertManyAsync(JobInsertManyParams p, CancellationToken ct);

    /// <summary>Atomically moves up to <see cref="JobClaimParams.Max"/> ready jobs to running for one worker.</summary>
    Task<IReadOnlyList<ClaimedJob>> JobClaimAsync(JobClaimParams p, CancellationToken ct);

    /// <summary>Extends the leases of a worker's running jobs and reports which of them were asked to cancel or were lost.</summary>
    Task<JobHeartbeatResult> JobHeartbeatAsync(JobHeartbeatParams p, CancellationToken ct);

    /// <summary>Writes a running job's progress; false when the attempt no longer holds the job.</summary>
    Task<bool> JobProgressAsync(JobProgressParams p, CancellationToken ct);

    /// <summary>Applies many attempt outcomes in one statement; returns the ids whose outcome was applied.</summary>
    Task<IReadOnlyList<long>> JobFinishManyAsync(JobFinishManyParams p, CancellationToken ct);

    /// <summary>Cancels a waiting job at once, or asks a running one to stop.</summary>
    Task<JobCancelResult> JobCancelAsync(JobCancelParams p, CancellationToken ct);

    /// <summary>Puts a failed or cancelled job back in the queue with a fresh attempt budget.</summary>
    Task<JobRetryResult> JobRetryAsync(JobRetryParams p, CancellationToken ct);

    /// <summary>Running jobs whose lease expired before <see cref="JobExpiredParams.Now"/>: their worker is gone.</summary>
    Task<IReadOnlyList<ExpiredJob>> JobListExpiredAsync(JobExpiredParams p, CancellationToken ct);

    /// <summary>Moves due scheduled jobs to queued (claims take due scheduled jobs anyway; this keeps the state honest).</summary>
    Task<int> JobPromoteScheduledAsync(JobPromoteParams p, CancellationToken ct);

    /// <summary>Deletes one small batch of old finished jobs; returns how many went.</summary>
    Task<int> JobPruneAsync(JobPruneParams p, CancellationToken ct);
}
