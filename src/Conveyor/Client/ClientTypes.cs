namespace Conveyor;

/// <summary>Which jobs to list: every filter is optional; newest first, <see cref="Limit"/> at a time.</summary>
public sealed record JobQuery
{
    /// <summary>Only jobs in this state.</summary>
    public JobState? State { get; init; }
    /// <summary>Only jobs in this queue.</summary>
    public string? Queue { get; init; }
    /// <summary>Only jobs of this kind.</summary>
    public string? Kind { get; init; }
    /// <summary>Only jobs of this batch.</summary>
    public string? BatchId { get; init; }
    /// <summary>Only jobs carrying this tag.</summary>
    public string? Tag { get; init; }
    /// <summary>Only jobs with this concurrency key.</summary>
    public string? ConcurrencyKey { get; init; }
    /// <summary>Only jobs created at or after this time.</summary>
    public DateTimeOffset? CreatedFrom { get; init; }
    /// <summary>Only jobs created before this time.</summary>
    public DateTimeOffset? CreatedTo { get; init; }
    /// <summary>Only jobs whose args contain this JSON object (<c>{"user":{"id":7}}</c>: every field given, with the value given).</summary>
    public string? ArgsContains { get; init; }

    /// <summary>At most this many jobs (1 to 1000). Default 50.</summary>
    public int Limit { get; init; } = 50;

    /// <summary>Pages on: only jobs with ids below this one.</summary>
    public long? AfterId { get; init; }
}

/// <summary>What a cancel did.</summary>
public enum CancelOutcome
{
    /// <summary>No job has this id.</summary>
    NotFound,
    /// <summary>The job was waiting and is now cancelled.</summary>
    Cancelled,
    /// <summary>The job is running; its handler is asked to stop and the job ends cancelled.</summary>
    CancelRequested,
    /// <summary>The job had already finished; nothing changed.</summary>
    AlreadyFinished,
}

/// <summary>The result of a cancel.</summary>
/// <param name="Outcome">What happened.</param>
/// <param name="State">The job's state now (null when not found).</param>
public sealed record CancelResult(CancelOutcome Outcome, JobState? State);

/// <summary>What a retry did.</summary>
public enum RetryOutcome
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
/// <param name="State">The job's state now (null when not found).</param>
public sealed record RetryResult(RetryOutcome Outcome, JobState? State);

/// <summary>What a delete did.</summary>
public enum DeleteOutcome
{
    /// <summary>No job has this id.</summary>
    NotFound,
    /// <summary>The job is gone.</summary>
    Deleted,
    /// <summary>The job is running; cancel it first.</summary>
    Running,
}

/// <summary>How far an action on everything a filter selects has got.</summary>
/// <param name="Total">Jobs the filter selected when it started.</param>
/// <param name="Processed">Jobs looked at so far.</param>
/// <param name="Changed">Jobs the action changed (the others were in a state it leaves alone).</param>
public sealed record BulkProgress(long Total, long Processed, long Changed);

/// <summary>What to do to many jobs at once.</summary>
public enum JobBulkAction
{
    /// <summary>Queue failed and cancelled jobs again.</summary>
    Retry,
    /// <summary>Cancel waiting jobs; ask running ones to stop.</summary>
    Cancel,
    /// <summary>Delete jobs that are not running.</summary>
    Delete,
}

/// <summary>Where a batch stands: its jobs by state and their mean progress.</summary>
/// <param name="BatchId">The batch.</param>
/// <param name="Counts">Its jobs by state (states with none are absent).</param>
/// <param name="Progress">The mean of its jobs' progress weighted by <see cref="EnqueueOptions.Weight"/>, 0-100 (a finished job counts 100; a waiting one 0).</param>
public sealed record BatchStatus(string BatchId, IReadOnlyDictionary<JobState, long> Counts, double Progress)
{
    /// <summary>Jobs in the batch.</summary>
    public long Total => Counts.Values.Sum();

    /// <summary>Jobs that ended (completed, failed or cancelled).</summary>
    public long Finished => Counts.Where(c => c.Key.IsTerminal()).Sum(c => c.Value);

    /// <summary>Every job ended.</summary>
    public bool Done => Total > 0 && Finished == Total;
}

/// <summary>What a batch enqueue did.</summary>
/// <param name="BatchId">The batch's id (given, or made).</param>
/// <param name="Jobs">Each job's result, in request order.</param>
public sealed record BatchResult(string BatchId, IReadOnlyList<EnqueueResult> Jobs);

/// <summary>A job a batch enqueues when it ends; its args get a <c>batch</c> field: id, outcome (success or failure), total, completed, failed (ids).</summary>
/// <param name="Kind">The callback job's kind.</param>
/// <param name="Args">Its args as a JSON object (default <c>{}</c>).</param>
/// <param name="Queue">Its queue.</param>
public sealed record BatchCallback(string Kind, string? Args = null, string? Queue = null);

/// <summary>What a batch enqueues, exactly once, in the transaction that ends its last job.</summary>
/// <param name="OnComplete">When every job has ended, whatever the outcome.</param>
/// <param name="OnSuccess">When every job completed.</param>
/// <param name="OnFailure">When any job failed or was cancelled.</param>
public sealed record BatchCallbacks(BatchCallback? OnComplete = null, BatchCallback? OnSuccess = null, BatchCallback? OnFailure = null)
{
    /// <summary>True when at least one callback is set.</summary>
    public bool Any => OnComplete is not null || OnSuccess is not null || OnFailure is not null;
}
