namespace Conveyor;

/// <summary>How an attempt ended, as a handler says it.</summary>
public enum JobResultKind
{
    /// <summary>Done, with an optional result.</summary>
    Completed,
    /// <summary>This attempt failed; run again while attempts remain.</summary>
    Retry,
    /// <summary>Not now; run again later without charging an attempt.</summary>
    Snooze,
    /// <summary>End the job as cancelled.</summary>
    Cancel,
    /// <summary>End the job as failed, whatever attempts remain.</summary>
    Discard,
}

/// <summary>How a handler ends an attempt, as a value (no exception on the hot path).</summary>
public readonly record struct JobResult
{
    private JobResult(JobResultKind kind, object? value, TimeSpan? delay, string? reason)
    {
        Kind = kind;
        Value = value;
        Delay = delay;
        Reason = reason;
    }

    /// <summary>How the attempt ended.</summary>
    public JobResultKind Kind { get; }

    /// <summary>For <see cref="JobResultKind.Completed"/>: the result stored as JSON (null: none).</summary>
    public object? Value { get; }

    /// <summary>For retry (null: the kind's back-off) and snooze.</summary>
    public TimeSpan? Delay { get; }

    /// <summary>Why (retry, cancel, discard): recorded with the job.</summary>
    public string? Reason { get; }

    /// <summary>Done; <paramref name="value"/> (any JSON-serialisable object) is stored as the result.</summary>
    public static JobResult Completed(object? value = null) => new(JobResultKind.Completed, value, null, null);

    /// <summary>This attempt failed; try again (after <paramref name="after"/>, or the back-off) while attempts remain.</summary>
    public static JobResult Retry(string reason, TimeSpan? after = null) => new(JobResultKind.Retry, null, after, reason);

    /// <summary>Not now: run again after <paramref name="delay"/>; the attempt is not charged.</summary>
    public static JobResult Snooze(TimeSpan delay) => new(JobResultKind.Snooze, null, delay, null);

    /// <summary>End the job as cancelled; it is not retried.</summary>
    public static JobResult Cancel(string reason) => new(JobResultKind.Cancel, null, null, reason);

    /// <summary>End the job as failed now, whatever attempts remain.</summary>
    public static JobResult Discard(string reason) => new(JobResultKind.Discard, null, null, reason);
}
