using System.Data.Common;

namespace Conveyor.Storage;

/// <summary>One job to insert, already validated by the client.</summary>
public sealed record JobInsertRow(
    string Kind,
    string Queue,
    string Args,
    int Priority,
    int MaxAttempts,
    DateTimeOffset RunAt,
    string? UniqueKey = null,
    string? ConcurrencyKey = null,
    string? BatchId = null,
    IReadOnlyList<string>? Tags = null,
    TimeSpan? Timeout = null);

/// <param name="Transaction">The application's own open transaction: the jobs exist if and only if it commits. Null: the store commits them.</param>
public sealed record JobInsertManyParams(IReadOnlyList<JobInsertRow> Jobs, DateTimeOffset Now, DbTransaction? Transaction = null);

/// <param name="Duplicate">True when a live job already held the unique key; <paramref name="Id"/> is then that job's id.</param>
public readonly record struct JobInsertResult(long Id, bool Duplicate);

public sealed record JobClaimParams(string WorkerId, IReadOnlyList<string> Queues, int Max, DateTimeOffset Now, DateTimeOffset LeaseUntil);

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
    TimeSpan? Timeout);

/// <summary>The lease token of one running attempt.</summary>
public readonly record struct JobLease(long Id, int Attempt);

public sealed record JobHeartbeatParams(string WorkerId, IReadOnlyList<JobLease> Jobs, DateTimeOffset LeaseUntil);

/// <param name="CancelRequested">Jobs still held whose cancellation was asked for.</param>
/// <param name="Lost">Jobs this worker no longer holds (rescued, or finished by someone else).</param>
public sealed record JobHeartbeatResult(IReadOnlyList<long> CancelRequested, IReadOnlyList<long> Lost);

public sealed record JobProgressParams(long Id, int Attempt, string WorkerId, JobProgress Progress);

/// <summary>How one attempt ended, fenced by (Id, Attempt, WorkerId).</summary>
/// <param name="State">completed, failed, cancelled; scheduled (retry or snooze); queued (handed back at shutdown).</param>
/// <param name="RunAt">For scheduled and queued: when the job may run again.</param>
/// <param name="RefundAttempt">True for snooze and shutdown hand-back: the attempt does not count.</param>
public sealed record JobFinish(
    long Id,
    int Attempt,
    string WorkerId,
    JobState State,
    DateTimeOffset At,
    string? Result = null,
    JobError? Error = null,
    DateTimeOffset? RunAt = null,
    bool RefundAttempt = false,
    JobProgress? Progress = null);

public sealed record JobFinishManyParams(IReadOnlyList<JobFinish> Jobs);

public sealed record JobCancelParams(long Id, DateTimeOffset Now);

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

public sealed record JobCancelResult(JobCancelOutcome Outcome, JobState? State);

public sealed record JobRetryParams(long Id, DateTimeOffset Now);

public enum JobRetryOutcome
{
    NotFound,
    Retried,
    /// <summary>Only failed and cancelled jobs can be retried.</summary>
    NotRetryable,
}

public sealed record JobRetryResult(JobRetryOutcome Outcome, JobState? State);

public sealed record JobExpiredParams(DateTimeOffset Now, int Limit);

public sealed record ExpiredJob(long Id, int Attempt, int MaxAttempts, string WorkerId, string Kind);

public sealed record JobPromoteParams(DateTimeOffset Now, int Limit);

public sealed record JobPruneParams(DateTimeOffset CompletedBefore, DateTimeOffset FailedBefore, int BatchSize);

public sealed record JobListParams(
    JobState? State = null,
    string? Queue = null,
    string? Kind = null,
    string? BatchId = null,
    int Limit = 50,
    long? AfterId = null);

public sealed record QueueStatsParams(DateTimeOffset Now);
