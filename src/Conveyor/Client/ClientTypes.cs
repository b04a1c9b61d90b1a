namespace Conveyor;

/// <summary>Which jobs to list: every filter is optional; newest first, <see cref="Limit"/> at a time.</summary>
public sealed record JobQuery
{
    public JobState? State { get; init; }
    public string? Queue { get; init; }
    public string? Kind { get; init; }
    public string? BatchId { get; init; }

    /// <summary>At most this many jobs (1 to 1000). Default 50.</summary>
    public int Limit { get; init; } = 50;

    /// <summary>Pages on: only jobs with ids below this one.</summary>
    public long? AfterId { get; init; }
}

/// <summary>What a cancel did.</summary>
public enum CancelOutcome
{
    NotFound,
    /// <summary>The job was waiting and is now cancelled.</summary>
    Cancelled,
    /// <summary>The job is running; its handler is asked to stop and the job ends cancelled.</summary>
    CancelRequested,
    /// <summary>The job had already finished; nothing changed.</summary>
    AlreadyFinished,
}

/// <param name="State">The job's state now (null when not found).</param>
public sealed record CancelResult(CancelOutcome Outcome, JobState? State);

/// <summary>What a retry did.</summary>
public enum RetryOutcome
{
    NotFound,
    Retried,
    /// <summary>Only failed and cancelled jobs can be retried.</summary>
    NotRetryable,
}

/// <param name="State">The job's state now (null when not found).</param>
public sealed record RetryResult(RetryOutcome Outcome, JobState? State);
