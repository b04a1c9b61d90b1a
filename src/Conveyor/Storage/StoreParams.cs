using System.Data.Common;

namespace Conveyor.Storage;

// Every "Now" below is optional: null (what the engine passes) means the store's own clock, which on PostgreSQL
// is the database's now(), so that decisions comparing times written by different machines (lease expiry, due
// run_at, stale workers) never depend on which machine's clock is right. Tests pass a time to fix it.

/// <summary>One job to insert, already validated by the client.</summary>
/// <param name="RunAt">Earliest start; null: now on the store's clock, plus <paramref name="Delay"/>.</param>
public sealed record JobInsertRow(
    string Kind,
    string Queue,
    string Args,
    int Priority,
    int MaxAttempts,
    DateTimeOffset? RunAt = null,
    string? UniqueKey = null,
    string? ConcurrencyKey = null,
    string? BatchId = null,
    IReadOnlyList<string>? Tags = null,
    TimeSpan? Timeout = null,
    TimeSpan? Delay = null);

/// <param name="Transaction">The application's own open transaction: the jobs exist if and only if it commits. Null: the store commits them.</param>
public sealed record JobInsertManyParams(IReadOnlyList<JobInsertRow> Jobs, DateTimeOffset? Now = null, DbTransaction? Transaction = null);

/// <param name="Duplicate">True when a live job already held the unique key; <paramref name="Id"/> is then that job's id.</param>
public readonly record struct JobInsertResult(long Id, bool Duplicate);

/// <param name="Lease">How long the claim holds each job without a heartbeat.</param>
public sealed record JobClaimParams(string WorkerId, IReadOnlyList<string> Queues, int Max, TimeSpan Lease, DateTimeOffset? Now = null);

/// <summary>A job handed to one worker for one attempt. (Id, Attempt, WorkerId) is the lease token.</summary>
public sealed record ClaimedJob(
    long Id,
    string Queue,
    string Kind,
    string Args,
    int Attempt,
    int MaxAttempts,
    int Priority,
    DateTimeOffset CreatedAt,
    string? BatchId,
    TimeSpan? Timeout)
{
    /// <summary>The lease token of this attempt (with the worker id).</summary>
    public JobLease Lease => new(Id, Attempt);
}

/// <summary>The lease token of one running attempt.</summary>
public readonly record struct JobLease(long Id, int Attempt);

public sealed record JobHeartbeatParams(string WorkerId, IReadOnlyList<JobLease> Jobs, TimeSpan Lease, DateTimeOffset? Now = null);

/// <param name="CancelRequested">Jobs still held whose cancellation was asked for.</param>
/// <param name="Lost">Jobs this worker no longer holds (rescued, or finished by someone else).</param>
public sealed record JobHeartbeatResult(IReadOnlyList<JobLease> CancelRequested, IReadOnlyList<JobLease> Lost);

public sealed record JobProgressParams(long Id, int Attempt, string WorkerId, JobProgress Progress);

public sealed record JobApplyOutcomesParams(IReadOnlyList<AttemptOutcome> Outcomes, DateTimeOffset? Now = null);

/// <summary>An outcome the store applied: the job's new state and its queue (to wake its workers).</summary>
public readonly record struct AppliedOutcome(long Id, string Queue, JobState State);

public sealed record JobCancelParams(long Id, DateTimeOffset? Now = null);

public enum JobCancelOutcome
{
    NotFound,
    /// <summary>The job was waiting and is now cancelled.</summary>
    Cancelled,
    /// <summary>The job is running; its worker is asked to stop.</summary>
    CancelRequested,
    /// <summary>The job had already finished; nothing changed.</summary>
    AlreadyFinished,
}

/// <param name="State">The job's state after the call (null when not found).</param>
public sealed record JobCancelResult(JobCancelOutcome Outcome, JobState? State);

public sealed record JobRetryParams(long Id, DateTimeOffset? Now = null);

public enum JobRetryOutcome
{
    NotFound,
    Retried,
    /// <summary>Only failed and cancelled jobs can be retried.</summary>
    NotRetryable,
}

/// <param name="State">The job's state after the call (null when not found).</param>
public sealed record JobRetryResult(JobRetryOutcome Outcome, JobState? State);

public sealed record JobExpiredParams(int Limit, DateTimeOffset? Now = null);

public sealed record ExpiredJob(long Id, int Attempt, int MaxAttempts, string WorkerId, string Kind);

public sealed record JobPromoteParams(int Limit, DateTimeOffset? Now = null);

/// <param name="CompletedRetention">Completed jobs finished longer ago than this go.</param>
/// <param name="FailedRetention">Failed and cancelled jobs finished longer ago than this go.</param>
public sealed record JobPruneParams(TimeSpan CompletedRetention, TimeSpan FailedRetention, int BatchSize, DateTimeOffset? Now = null);

public sealed record JobListParams(
    JobState? State = null,
    string? Queue = null,
    string? Kind = null,
    string? BatchId = null,
    int Limit = 50,
    long? AfterId = null);

public sealed record QueueStatsParams(DateTimeOffset? Now = null);

/// <summary>One worker process as it reports itself.</summary>
public sealed record WorkerUpsertParams(string Id, string Host, int Pid, IReadOnlyList<string> Queues, int Concurrency, int Running, DateTimeOffset? Now = null);

public sealed record WorkerRemoveParams(string Id);

public sealed record WorkerListParams;

/// <param name="StaleAfter">Records not seen for this long are removed.</param>
public sealed record WorkerPruneParams(TimeSpan StaleAfter, DateTimeOffset? Now = null);

/// <summary>One worker process as it last reported itself.</summary>
public sealed record WorkerRecord(
    string Id,
    string Host,
    int Pid,
    IReadOnlyList<string> Queues,
    int Concurrency,
    DateTimeOffset StartedAt,
    DateTimeOffset LastSeenAt,
    int Running);
