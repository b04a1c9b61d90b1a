using System.Data.Common;

namespace Conveyor.Storage;

// Every "Now" below is optional: null (what the engine passes) means the store's own clock, which on PostgreSQL
// is the database's now(), so that decisions comparing times written by different machines (lease expiry, due
// run_at, stale workers) never depend on which machine's clock is right. Tests pass a time to fix it.

/// <summary>One job to insert, already validated by the client.</summary>
/// <param name="Kind">Which handler runs it.</param>
/// <param name="Queue">Where it waits.</param>
/// <param name="Args">Its arguments as JSON text.</param>
/// <param name="Priority">Higher runs first within the queue.</param>
/// <param name="MaxAttempts">Attempts before it fails.</param>
/// <param name="RunAt">Earliest start; null: now on the store's clock, plus <paramref name="Delay"/>.</param>
/// <param name="UniqueKey">Held by at most one unfinished job.</param>
/// <param name="ConcurrencyKey">Groups jobs for per-key limits.</param>
/// <param name="BatchId">The batch it belongs to.</param>
/// <param name="Tags">Free labels.</param>
/// <param name="Timeout">Per-attempt timeout.</param>
/// <param name="Delay">With no <paramref name="RunAt"/>: how long after the store's now it may start.</param>
/// <param name="DependsOn">Jobs it waits for: it is inserted <c>waiting</c> and released when they end.</param>
/// <param name="Weight">Its share in its batch's progress (null: 1).</param>
/// <param name="TraceParent">The W3C trace context its attempts continue (stored in <c>meta</c>).</param>
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
    TimeSpan? Delay = null,
    IReadOnlyList<JobDependencyRow>? DependsOn = null,
    double? Weight = null,
    string? TraceParent = null);

/// <summary>One job a new job waits for: an existing job, or another row of the same insert (by its position).</summary>
/// <param name="JobId">The existing job, or null when <paramref name="RequestIndex"/> is set.</param>
/// <param name="RequestIndex">The position of another row of the same insert.</param>
/// <param name="IgnoreFailure">True: the waiting job runs even when this one fails; false: it fails with it.</param>
public sealed record JobDependencyRow(long? JobId, int? RequestIndex, bool IgnoreFailure);

/// <summary>Inserts many jobs in one round trip.</summary>
/// <param name="Jobs">The rows, in request order.</param>
/// <param name="Now">The time to stamp (null: the store's clock).</param>
/// <param name="Transaction">The application's own open transaction: the jobs exist if and only if it commits. Null: the store commits them.</param>
public sealed record JobInsertManyParams(IReadOnlyList<JobInsertRow> Jobs, DateTimeOffset? Now = null, DbTransaction? Transaction = null);

/// <summary>What one insert did.</summary>
/// <param name="Id">The new job, or the live holder of its unique key.</param>
/// <param name="Duplicate">True when a live job already held the unique key; <paramref name="Id"/> is then that job's id.</param>
public readonly record struct JobInsertResult(long Id, bool Duplicate);

/// <summary>Claims ready jobs for one worker.</summary>
/// <param name="WorkerId">Who claims.</param>
/// <param name="Queues">Which queues to take from.</param>
/// <param name="Max">At most this many jobs.</param>
/// <param name="Lease">How long the claim holds each job without a heartbeat.</param>
/// <param name="Now">What counts as due (null: the store's clock).</param>
/// <param name="Kinds">
/// Only jobs of these kinds (null: any kind). A worker passes the kinds it has handlers for, so that a job no worker can run
/// waits, uncharged, instead of burning its attempts on "no handler" errors; jobs of other kinds never block it.
/// </param>
/// <param name="Ahead">How many of <paramref name="Max"/> the worker claims ahead of its free slots, to start from memory later.</param>
/// <param name="Reserve">
/// On a queue with a concurrency limit, jobs claimed ahead are taken only while at least this many of its places stay free (a
/// worker passes its slot count): the places a limit counts are held from the claim, so a worker of quick jobs whose buffer took
/// all of them would leave other workers' free slots idle and fewer jobs running than the limit allows. Jobs for free slots
/// are taken up to the limit regardless.
/// </param>
public sealed record JobClaimParams(string WorkerId, IReadOnlyList<string> Queues, int Max, TimeSpan Lease, DateTimeOffset? Now = null,
    IReadOnlyList<string>? Kinds = null, int Ahead = 0, int Reserve = 0);

/// <summary>A job handed to one worker for one attempt. (Id, Attempt, WorkerId) is the lease token.</summary>
/// <param name="Id">The job.</param>
/// <param name="Queue">Its queue.</param>
/// <param name="Kind">Its kind.</param>
/// <param name="Args">Its arguments as JSON text.</param>
/// <param name="Attempt">This attempt, 1-based.</param>
/// <param name="MaxAttempts">The attempt budget.</param>
/// <param name="Priority">Its priority.</param>
/// <param name="CreatedAt">When it was enqueued.</param>
/// <param name="BatchId">Its batch.</param>
/// <param name="Timeout">Its own per-attempt timeout, if any.</param>
/// <param name="RunAt">When it could first run (its run-at): the start of its wait.</param>
/// <param name="TraceParent">The W3C trace context of the code that enqueued it.</param>
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
    TimeSpan? Timeout,
    DateTimeOffset? RunAt = null,
    string? TraceParent = null)
{
    /// <summary>The lease token of this attempt (with the worker id).</summary>
    public JobLease Lease => new(Id, Attempt);
}

/// <summary>The lease token of one running attempt.</summary>
/// <param name="Id">The job.</param>
/// <param name="Attempt">The attempt that holds it.</param>
public readonly record struct JobLease(long Id, int Attempt);

/// <summary>Extends a worker's leases.</summary>
/// <param name="WorkerId">Whose leases.</param>
/// <param name="Jobs">The attempts it runs.</param>
/// <param name="Lease">The new lease length from now.</param>
/// <param name="Now">Null: the store's clock.</param>
public sealed record JobHeartbeatParams(string WorkerId, IReadOnlyList<JobLease> Jobs, TimeSpan Lease, DateTimeOffset? Now = null);

/// <summary>What a heartbeat found.</summary>
/// <param name="CancelRequested">Attempts still held whose cancellation was asked for.</param>
/// <param name="Lost">Attempts this worker no longer holds (rescued, or finished by someone else).</param>
public sealed record JobHeartbeatResult(IReadOnlyList<JobLease> CancelRequested, IReadOnlyList<JobLease> Lost);

/// <summary>A running attempt's progress.</summary>
/// <param name="Id">The job.</param>
/// <param name="Attempt">The attempt reporting.</param>
/// <param name="WorkerId">The worker running it.</param>
/// <param name="Progress">The values to store.</param>
public sealed record JobProgressParams(long Id, int Attempt, string WorkerId, JobProgress Progress);

/// <summary>Applies attempt outcomes in one statement.</summary>
/// <param name="Outcomes">Each fenced by its lease token.</param>
/// <param name="Now">Finish times and delays count from here (null: the store's clock).</param>
public sealed record JobApplyOutcomesParams(IReadOnlyList<AttemptOutcome> Outcomes, DateTimeOffset? Now = null);

/// <summary>An outcome the store applied: the job's new state and its queue (to wake its workers).</summary>
/// <param name="Id">The job.</param>
/// <param name="Queue">Its queue.</param>
/// <param name="State">Its state now.</param>
public readonly record struct AppliedOutcome(long Id, string Queue, JobState State);

/// <summary>Cancels one job.</summary>
/// <param name="Id">The job.</param>
/// <param name="Now">Null: the store's clock.</param>
public sealed record JobCancelParams(long Id, DateTimeOffset? Now = null);

/// <summary>What a cancel did.</summary>
public enum JobCancelOutcome
{
    /// <summary>No job has this id.</summary>
    NotFound,
    /// <summary>The job was waiting and is now cancelled.</summary>
    Cancelled,
    /// <summary>The job is running; its worker is asked to stop.</summary>
    CancelRequested,
    /// <summary>The job had already finished; nothing changed.</summary>
    AlreadyFinished,
}

/// <summary>The result of a cancel.</summary>
/// <param name="Outcome">What happened.</param>
/// <param name="State">The job's state after the call (null when not found).</param>
public sealed record JobCancelResult(JobCancelOutcome Outcome, JobState? State);

/// <summary>Retries one failed or cancelled job.</summary>
/// <param name="Id">The job.</param>
/// <param name="Now">Null: the store's clock.</param>
public sealed record JobRetryParams(long Id, DateTimeOffset? Now = null);

/// <summary>What a retry did.</summary>
public enum JobRetryOutcome
{
    /// <summary>No job has this id.</summary>
    NotFound,
    /// <summary>The job is queued again.</summary>
    Retried,
    /// <summary>Only failed and cancelled jobs can be retried.</summary>
    NotRetryable,
}

/// <summary>The result of a retry.</summary>
/// <param name="Outcome">What happened.</param>
/// <param name="State">The job's state after the call (null when not found).</param>
public sealed record JobRetryResult(JobRetryOutcome Outcome, JobState? State);

/// <summary>Lists running jobs whose lease expired.</summary>
/// <param name="Limit">At most this many.</param>
/// <param name="Now">Expired before this (null: the store's clock).</param>
public sealed record JobExpiredParams(int Limit, DateTimeOffset? Now = null);

/// <summary>A running attempt whose worker stopped heartbeating.</summary>
/// <param name="Id">The job.</param>
/// <param name="Attempt">The attempt that holds it.</param>
/// <param name="MaxAttempts">The attempt budget.</param>
/// <param name="WorkerId">The worker that was running it.</param>
/// <param name="Kind">Its kind (for its back-off).</param>
public sealed record ExpiredJob(long Id, int Attempt, int MaxAttempts, string WorkerId, string Kind);

/// <summary>Moves due scheduled jobs to queued.</summary>
/// <param name="Limit">At most this many.</param>
/// <param name="Now">Due by this (null: the store's clock).</param>
public sealed record JobPromoteParams(int Limit, DateTimeOffset? Now = null);

/// <summary>Deletes one batch of old finished jobs.</summary>
/// <param name="CompletedRetention">Completed jobs finished longer ago than this go.</param>
/// <param name="FailedRetention">Failed and cancelled jobs finished longer ago than this go.</param>
/// <param name="BatchSize">At most this many.</param>
/// <param name="Now">Null: the store's clock.</param>
public sealed record JobPruneParams(TimeSpan CompletedRetention, TimeSpan FailedRetention, int BatchSize, DateTimeOffset? Now = null);

/// <summary>Which jobs to list, newest first.</summary>
/// <param name="State">Only this state.</param>
/// <param name="Queue">Only this queue.</param>
/// <param name="Kind">Only this kind.</param>
/// <param name="BatchId">Only this batch.</param>
/// <param name="Limit">At most this many.</param>
/// <param name="AfterId">Only ids below this one (the next page).</param>
public sealed record JobListParams(
    JobState? State = null,
    string? Queue = null,
    string? Kind = null,
    string? BatchId = null,
    int Limit = 50,
    long? AfterId = null)
{
    /// <summary>Only jobs carrying this tag.</summary>
    public string? Tag { get; init; }
    /// <summary>Only jobs with this concurrency key.</summary>
    public string? ConcurrencyKey { get; init; }
    /// <summary>Only jobs created at or after this time.</summary>
    public DateTimeOffset? CreatedFrom { get; init; }
    /// <summary>Only jobs created before this time.</summary>
    public DateTimeOffset? CreatedTo { get; init; }
    /// <summary>
    /// Only jobs whose args contain this JSON object: every field given has the value given (nested objects match
    /// field by field). JSON containment on PostgreSQL, json_extract per field on SQLite.
    /// </summary>
    public string? ArgsContains { get; init; }
}

/// <summary>Reads the change feed: jobs whose watched fields changed after a cursor, oldest change first.</summary>
/// <param name="After">Changes after this position (exclusive); <see cref="JobChangeCursor.Start"/> for all.</param>
/// <param name="Limit">At most this many changes; 0 reads only <see cref="JobChangePage.Settled"/>.</param>
/// <param name="JobId">Only this job.</param>
/// <param name="BatchId">Only this batch's jobs.</param>
/// <param name="Queue">Only this queue's jobs.</param>
public sealed record JobChangesParams(JobChangeCursor After, int Limit, long? JobId = null, string? BatchId = null, string? Queue = null);

/// <summary>A position in the change feed: the change's sequence, then the job id.</summary>
/// <param name="Seq">The change's sequence (PostgreSQL: the writing transaction's id; SQLite: a counter).</param>
/// <param name="Id">The job.</param>
public readonly record struct JobChangeCursor(long Seq, long Id) : IComparable<JobChangeCursor>
{
    /// <summary>Before every change.</summary>
    public static JobChangeCursor Start => new(long.MinValue, long.MinValue);

    /// <summary>Just before every change with a sequence of at least <paramref name="seq"/>.</summary>
    public static JobChangeCursor Before(long seq) => new(seq - 1, long.MaxValue);

    /// <inheritdoc />
    public int CompareTo(JobChangeCursor other) => Seq != other.Seq ? Seq.CompareTo(other.Seq) : Id.CompareTo(other.Id);

    /// <summary>"seq-id", the server-sent event id.</summary>
    public override string ToString() => $"{Seq}-{Id}";

    /// <summary>Parses "seq-id".</summary>
    public static bool TryParse(string? text, out JobChangeCursor cursor)
    {
        cursor = default;
        var dash = text?.IndexOf('-', 1) ?? -1;
        if (dash < 0 || !long.TryParse(text.AsSpan(0, dash), out var seq) || !long.TryParse(text.AsSpan(dash + 1), out var id))
            return false;
        cursor = new JobChangeCursor(seq, id);
        return true;
    }
}

/// <summary>What the change feed says of one job: its state as of the change.</summary>
/// <param name="Position">Where this change is in the feed.</param>
/// <param name="Id">The job.</param>
/// <param name="Queue">Its queue.</param>
/// <param name="Kind">Its kind.</param>
/// <param name="BatchId">Its batch.</param>
/// <param name="State">Its state.</param>
/// <param name="Attempt">Attempts started.</param>
/// <param name="MaxAttempts">The attempt budget.</param>
/// <param name="Progress">The latest progress.</param>
/// <param name="Result">What it returned (JSON text), once completed.</param>
/// <param name="Error">Its latest failed attempt.</param>
/// <param name="FinishedAt">When it finished.</param>
public sealed record JobChange(
    JobChangeCursor Position, long Id, string Queue, string Kind, string? BatchId, JobState State, int Attempt, int MaxAttempts,
    JobProgress? Progress, string? Result, JobError? Error, DateTimeOffset? FinishedAt);

/// <summary>A page of the change feed.</summary>
/// <param name="Changes">In feed order.</param>
/// <param name="Settled">Every change with a sequence below this has been committed: a reader may advance past it (a
/// change at or above it may still appear, from a transaction in progress).</param>
public sealed record JobChangePage(IReadOnlyList<JobChange> Changes, long Settled);

/// <summary>Pauses or resumes a queue: a paused queue keeps its jobs and accepts new ones, and hands none out.</summary>
/// <param name="Queue">The queue.</param>
/// <param name="Paused">True to pause, false to resume.</param>
/// <param name="Now">Null: the store's clock.</param>
public sealed record QueuePauseParams(string Queue, bool Paused, DateTimeOffset? Now = null);

/// <summary>Sets a queue's limits, replacing the ones it had (a row is created for a queue never seen).</summary>
/// <param name="Queue">The queue.</param>
/// <param name="Limits">The limits; <see cref="QueueLimits.Any"/> false clears them.</param>
public sealed record QueueLimitsParams(string Queue, QueueLimits Limits);

/// <summary>Applies an action to the jobs with the given ids, each where the rules allow.</summary>
/// <param name="Action">What to do.</param>
/// <param name="Ids">The jobs (at most a few thousand a call).</param>
/// <param name="Now">Null: the store's clock.</param>
public sealed record JobBulkParams(JobBulkAction Action, IReadOnlyList<long> Ids, DateTimeOffset? Now = null);

/// <summary>One job a bulk action changed.</summary>
/// <param name="Id">The job.</param>
/// <param name="Previous">Its state before.</param>
/// <param name="State">Its state after (null: deleted).</param>
/// <param name="Queue">Its queue.</param>
public sealed record JobBulkChange(long Id, JobState Previous, JobState? State, string Queue);

/// <summary>Per-queue statistics.</summary>
/// <param name="Now">Ages are measured to this (null: the store's clock).</param>
public sealed record QueueStatsParams(DateTimeOffset? Now = null);

/// <summary>One worker process as it reports itself.</summary>
/// <param name="Id">The worker id.</param>
/// <param name="Host">Its machine.</param>
/// <param name="Pid">Its process id.</param>
/// <param name="Queues">The queues it works.</param>
/// <param name="Concurrency">Its slots.</param>
/// <param name="Running">Attempts it runs now.</param>
/// <param name="Now">Last seen (and started, on creation) at this time (null: the store's clock).</param>
/// <param name="Kinds">The kinds it has handlers for (null: it did not say, as an external worker may not).</param>
public sealed record WorkerUpsertParams(string Id, string Host, int Pid, IReadOnlyList<string> Queues, int Concurrency, int Running, DateTimeOffset? Now = null, IReadOnlyList<string>? Kinds = null);

/// <summary>Removes a worker's record.</summary>
/// <param name="Id">The worker id.</param>
public sealed record WorkerRemoveParams(string Id);

/// <summary>Lists worker records (room for filters to come).</summary>
public sealed record WorkerListParams;

/// <summary>Removes stale worker records.</summary>
/// <param name="StaleAfter">Records not seen for this long are removed.</param>
/// <param name="Now">Null: the store's clock.</param>
public sealed record WorkerPruneParams(TimeSpan StaleAfter, DateTimeOffset? Now = null);

/// <summary>One worker process as it last reported itself.</summary>
/// <param name="Id">The worker id.</param>
/// <param name="Host">Its machine.</param>
/// <param name="Pid">Its process id.</param>
/// <param name="Queues">The queues it works.</param>
/// <param name="Concurrency">Its slots.</param>
/// <param name="StartedAt">When it first reported.</param>
/// <param name="LastSeenAt">When it last reported.</param>
/// <param name="Running">Attempts it ran at its last report.</param>
/// <param name="Kinds">The kinds it runs (null: any it is given; external workers that do not say).</param>
public sealed record WorkerRecord(
    string Id,
    string Host,
    int Pid,
    IReadOnlyList<string> Queues,
    int Concurrency,
    DateTimeOffset StartedAt,
    DateTimeOffset LastSeenAt,
    int Running,
    IReadOnlyList<string>? Kinds = null);

/// <summary>Completed and failed jobs per minute.</summary>
/// <param name="Since">From this minute on.</param>
/// <param name="Queue">One queue, or null for all.</param>
public sealed record ThroughputParams(DateTimeOffset Since, string? Queue = null);

/// <summary>One minute's finished attempts.</summary>
/// <param name="Minute">The minute (UTC, seconds zero).</param>
/// <param name="Completed">Jobs completed in it.</param>
/// <param name="Failed">Jobs failed for good in it.</param>
public sealed record ThroughputPoint(DateTimeOffset Minute, long Completed, long Failed);

/// <summary>Creates or redefines a schedule.</summary>
/// <param name="Definition">The schedule.</param>
/// <param name="NextRunAt">Its next tick, computed from now, used when its cron or zone is new.</param>
public sealed record ScheduleUpsertParams(Scheduling.ScheduleDefinition Definition, DateTimeOffset? NextRunAt);

/// <summary>One tick to record.</summary>
/// <param name="ScheduledFor">The tick.</param>
/// <param name="Fate">What becomes of it.</param>
/// <param name="Job">The job to enqueue for it (with <see cref="Scheduling.ScheduleRunFate.Enqueued"/> or <see cref="Scheduling.ScheduleRunFate.Triggered"/>).</param>
public sealed record ScheduleTick(DateTimeOffset ScheduledFor, Scheduling.ScheduleRunFate Fate, JobInsertRow? Job);

/// <summary>Records ticks of one schedule and moves it on.</summary>
/// <param name="Name">The schedule.</param>
/// <param name="ExpectedNextRunAt">The next tick this process read; the schedule moves on only from it (null: do not move it, as for a trigger).</param>
/// <param name="Ticks">The ticks, oldest first.</param>
/// <param name="NextRunAt">Its next tick after these.</param>
/// <param name="Now">Null: the store's clock.</param>
public sealed record ScheduleFireParams(string Name, DateTimeOffset? ExpectedNextRunAt, IReadOnlyList<ScheduleTick> Ticks, DateTimeOffset? NextRunAt, DateTimeOffset? Now = null);

/// <summary>Records a batch's callbacks before its jobs are inserted.</summary>
/// <param name="Id">The batch.</param>
/// <param name="Callbacks">Validated callback rows: "on" (complete, success, failure) with the job to insert.</param>
/// <param name="Now">Null: the store's clock.</param>
public sealed record BatchCreateParams(string Id, IReadOnlyList<(string On, JobInsertRow Job)> Callbacks, DateTimeOffset? Now = null);
