namespace Conveyor.Storage;

/// <summary>Why an attempt ended: every outcome has one, named here and nowhere else.</summary>
public enum OutcomeReason
{
    /// <summary>The handler finished.</summary>
    Completed,
    /// <summary>Failed with attempts left: scheduled again after a back-off.</summary>
    Retried,
    /// <summary>Failed with no attempts left, or a permanent failure.</summary>
    Failed,
    /// <summary>The handler ended the job as failed, whatever attempts remained.</summary>
    Discarded,
    /// <summary>Asked to run later; the attempt is not charged.</summary>
    Snoozed,
    /// <summary>Cancelled by a request or by the handler.</summary>
    Cancelled,
    /// <summary>Given back unfinished at shutdown: queued at once, the attempt not charged.</summary>
    HandedBack,
    /// <summary>Its worker stopped heartbeating and the lease expired.</summary>
    Rescued,
    /// <summary>The attempt ran past its timeout.</summary>
    TimedOut,
}

/// <summary>
/// The reasons' names in telemetry (metric labels, span tags): snake_case (handed_back, timed_out), derived once from the
/// enum with the naming the schedule fates use, so a new reason needs no second list, and allocated never per call.
/// </summary>
internal static class OutcomeReasonNames
{
    private static readonly string[] Names =
        [.. Enum.GetValues<OutcomeReason>().Select(r => System.Text.Json.JsonNamingPolicy.SnakeCaseLower.ConvertName(r.ToString()))];

    public static string ToName(this OutcomeReason reason) => Names[(int)reason];
}

/// <summary>
/// How one attempt ended, fenced by (Id, Attempt, WorkerId), as one value for the completer to write. Made only by
/// the constructors below (River's JobSetState* are the model), so the state each reason leads to lives in one place.
/// </summary>
public sealed record AttemptOutcome
{
    private AttemptOutcome(JobLease lease, string workerId, OutcomeReason reason, JobState state)
    {
        Lease = lease;
        WorkerId = workerId;
        Reason = reason;
        State = state;
    }

    /// <summary>The attempt this outcome ends.</summary>
    public JobLease Lease { get; }
    /// <summary>The job.</summary>
    public long Id => Lease.Id;
    /// <summary>The attempt.</summary>
    public int Attempt => Lease.Attempt;
    /// <summary>The worker that held the attempt.</summary>
    public string WorkerId { get; }
    /// <summary>Why the attempt ended.</summary>
    public OutcomeReason Reason { get; }

    /// <summary>The state the job moves to (a job asked to cancel that would run again ends cancelled instead).</summary>
    public JobState State { get; }

    /// <summary>For completed: the result as JSON text.</summary>
    public string? Result { get; private init; }

    /// <summary>Appended to the job's error history.</summary>
    public JobError? Error { get; private init; }

    /// <summary>For scheduled and queued: how long from now (on the store's clock) until the job may run again.</summary>
    public TimeSpan? Delay { get; private init; }

    /// <summary>True for snooze and hand-back: the attempt does not count.</summary>
    public bool RefundAttempt { get; private init; }

    /// <summary>True for a rescue: applied only while the lease is still expired, so a heartbeat that just landed wins.</summary>
    public bool RequireExpiredLease { get; private init; }

    /// <summary>The final progress, written with the outcome (null: keep what is stored).</summary>
    public JobProgress? Progress { get; init; }

    /// <summary>The job's kind, for telemetry labels only (never written).</summary>
    public string? Kind { get; init; }

    /// <summary>Done; <paramref name="result"/> (JSON text) is stored.</summary>
    public static AttemptOutcome Completed(JobLease lease, string workerId, string? result) =>
        new(lease, workerId, OutcomeReason.Completed, JobState.Completed) { Result = result };

    /// <summary>Failed with attempts left: runs again after <paramref name="delay"/>.</summary>
    public static AttemptOutcome Retried(JobLease lease, string workerId, JobError error, TimeSpan delay, OutcomeReason reason = OutcomeReason.Retried) =>
        new(lease, workerId, reason, JobState.Scheduled) { Error = error, Delay = delay };

    /// <summary>Failed for good.</summary>
    public static AttemptOutcome Failed(JobLease lease, string workerId, JobError error, OutcomeReason reason = OutcomeReason.Failed) =>
        new(lease, workerId, reason, JobState.Failed) { Error = error };

    /// <summary>Runs again after <paramref name="delay"/>; the attempt is not charged.</summary>
    public static AttemptOutcome Snoozed(JobLease lease, string workerId, TimeSpan delay) =>
        new(lease, workerId, OutcomeReason.Snoozed, JobState.Scheduled) { Delay = delay, RefundAttempt = true };

    /// <summary>Ends cancelled.</summary>
    public static AttemptOutcome Cancelled(JobLease lease, string workerId, JobError error) =>
        new(lease, workerId, OutcomeReason.Cancelled, JobState.Cancelled) { Error = error };

    /// <summary>Given back at shutdown: queued at once, the attempt not charged.</summary>
    public static AttemptOutcome HandedBack(JobLease lease, string workerId) =>
        new(lease, workerId, OutcomeReason.HandedBack, JobState.Queued) { Delay = TimeSpan.Zero, RefundAttempt = true };

    /// <summary>A lost worker's job: retried after <paramref name="delay"/>, or failed when <paramref name="delay"/> is null (no attempts left).</summary>
    public static AttemptOutcome Rescued(JobLease lease, string workerId, JobError error, TimeSpan? delay) =>
        (delay is { } d ? Retried(lease, workerId, error, d, OutcomeReason.Rescued) : Failed(lease, workerId, error, OutcomeReason.Rescued))
            with { RequireExpiredLease = true };
}
