using System.Text.Json;

namespace Conveyor;

/// <summary>Where a job is in its life: (waiting →) scheduled → queued → running → completed | failed | cancelled.</summary>
public enum JobState
{
    /// <summary>Waiting for the jobs it depends on to end (<see cref="EnqueueOptions.DependsOn"/>); then queued, or failed with a failed dependency.</summary>
    Waiting,
    /// <summary>Waiting for its run_at (a delay, or a retry's back-off).</summary>
    Scheduled,
    /// <summary>Ready to be claimed.</summary>
    Queued,
    /// <summary>Claimed by a worker, under a lease.</summary>
    Running,
    /// <summary>Finished with a result.</summary>
    Completed,
    /// <summary>Finished after its last attempt failed, or failed permanently.</summary>
    Failed,
    /// <summary>Finished by a cancel; never retried on its own.</summary>
    Cancelled,
}

/// <summary>The wire and column spelling of <see cref="JobState"/> (lower case), kept in one place.</summary>
public static class JobStateNames
{
    /// <summary>The lower-case name: "queued".</summary>
    public static string ToName(this JobState state) => state switch
    {
        JobState.Waiting => "waiting",
        JobState.Scheduled => "scheduled",
        JobState.Queued => "queued",
        JobState.Running => "running",
        JobState.Completed => "completed",
        JobState.Failed => "failed",
        JobState.Cancelled => "cancelled",
        _ => throw new ArgumentOutOfRangeException(nameof(state)),
    };

    /// <summary>Parses a state name, case-insensitively ("canceled" too).</summary>
    public static bool TryParse(string? name, out JobState state)
    {
        switch (name?.Trim().ToLowerInvariant())
        {
            case "waiting": state = JobState.Waiting; return true;
            case "scheduled": state = JobState.Scheduled; return true;
            case "queued": state = JobState.Queued; return true;
            case "running": state = JobState.Running; return true;
            case "completed": state = JobState.Completed; return true;
            case "failed": state = JobState.Failed; return true;
            case "cancelled" or "canceled": state = JobState.Cancelled; return true;
            default: state = default; return false;
        }
    }

    /// <summary>Parses a state name or throws <see cref="FormatException"/>.</summary>
    public static JobState Parse(string name) =>
        TryParse(name, out var state) ? state : throw new FormatException($"Unknown job state '{name}'.");

    /// <summary>Completed, failed or cancelled: the job will not run again on its own.</summary>
    public static bool IsTerminal(this JobState state) =>
        state is JobState.Completed or JobState.Failed or JobState.Cancelled;

    /// <summary>Every state, in lifecycle order.</summary>
    public static IReadOnlyList<JobState> All { get; } = Enum.GetValues<JobState>();
}

/// <summary>One failed attempt, as stored in the job's <c>errors</c> array.</summary>
/// <param name="At">When it failed.</param>
/// <param name="Attempt">Which attempt.</param>
/// <param name="Type">The exception type, or a named reason (Timeout, WorkerLost, Retry...).</param>
/// <param name="Message">What went wrong.</param>
/// <param name="Stack">The stack trace, trimmed.</param>
public sealed record JobError(DateTimeOffset At, int Attempt, string Type, string Message, string? Stack = null);

/// <summary>Progress as a handler reported it: percent 0-100, a stage text, and counters.</summary>
/// <param name="Percent">0 to 100.</param>
/// <param name="Stage">What it is doing now.</param>
/// <param name="Done">Items done.</param>
/// <param name="Total">Items in all.</param>
public sealed record JobProgress(int? Percent, string? Stage = null, long? Done = null, long? Total = null);

/// <summary>A job as stored: the read model returned by the client, the HTTP API and the CLI.</summary>
public sealed record Job
{
    /// <summary>Assigned by the store.</summary>
    public required long Id { get; init; }
    /// <summary>Where it waits.</summary>
    public required string Queue { get; init; }
    /// <summary>Which handler runs it: a stable string, never a CLR name.</summary>
    public required string Kind { get; init; }
    /// <summary>The arguments given to the handler.</summary>
    public required JsonElement Args { get; init; }
    /// <summary>What the handler returned (completed jobs).</summary>
    public JsonElement? Result { get; init; }
    /// <summary>Where it is in its life.</summary>
    public required JobState State { get; init; }
    /// <summary>Higher runs first within a queue.</summary>
    public int Priority { get; init; }
    /// <summary>Attempts started so far.</summary>
    public int Attempt { get; init; }
    /// <summary>The limit before it fails.</summary>
    public int MaxAttempts { get; init; }
    /// <summary>Earliest start.</summary>
    public DateTimeOffset RunAt { get; init; }
    /// <summary>When it was enqueued.</summary>
    public DateTimeOffset CreatedAt { get; init; }
    /// <summary>When the latest attempt started.</summary>
    public DateTimeOffset? StartedAt { get; init; }
    /// <summary>When it finished.</summary>
    public DateTimeOffset? FinishedAt { get; init; }
    /// <summary>While running: until when its worker holds it (heartbeats extend it).</summary>
    public DateTimeOffset? LeaseUntil { get; init; }
    /// <summary>The worker running it, or that ran its last attempt.</summary>
    public string? WorkerId { get; init; }
    /// <summary>The latest reported progress.</summary>
    public JobProgress? Progress { get; init; }
    /// <summary>One entry per failed attempt.</summary>
    public IReadOnlyList<JobError> Errors { get; init; } = [];
    /// <summary>The batch it belongs to.</summary>
    public string? BatchId { get; init; }
    /// <summary>Held by at most one unfinished job.</summary>
    public string? UniqueKey { get; init; }
    /// <summary>Groups jobs for per-key limits.</summary>
    public string? ConcurrencyKey { get; init; }
    /// <summary>Free labels.</summary>
    public IReadOnlyList<string> Tags { get; init; } = [];
    /// <summary>Its own per-attempt timeout.</summary>
    public TimeSpan? Timeout { get; init; }
    /// <summary>When a cancel was asked for.</summary>
    public DateTimeOffset? CancelRequestedAt { get; init; }
    /// <summary>The W3C trace context of the code that enqueued it, which its attempts continue.</summary>
    public string? TraceParent { get; init; }
    /// <summary>Its share in its batch's progress (1 unless given).</summary>
    public double Weight { get; init; } = 1;
    /// <summary>The jobs it waits or waited for, with their states and results (filled by a single-job read; null in lists).</summary>
    public IReadOnlyList<DependencyResult>? Dependencies { get; init; }

    /// <summary>Completed, failed or cancelled.</summary>
    [System.Text.Json.Serialization.JsonIgnore]
    public bool IsFinished => State.IsTerminal();
}

/// <summary>Per queue: how many jobs are in each state, and how long the oldest ready job has waited.</summary>
/// <param name="Queue">The queue.</param>
/// <param name="Counts">Jobs by state (states with none are absent).</param>
/// <param name="OldestWaitingAge">How long the oldest ready job has waited; null when none is ready.</param>
/// <param name="Paused">Whether the queue is paused.</param>
public sealed record QueueStats(string Queue, IReadOnlyDictionary<JobState, long> Counts, TimeSpan? OldestWaitingAge, bool Paused = false)
{
    /// <summary>Jobs in <paramref name="state"/> (0 when none).</summary>
    public long Count(JobState state) => Counts.TryGetValue(state, out var n) ? n : 0;

    /// <summary>The queue's limits (<see cref="QueueLimits.Any"/> false: none).</summary>
    public QueueLimits Limits { get; init; } = new();

    /// <summary>When the rate limit's current window is full: when it closes and starts may resume. Otherwise null.</summary>
    public DateTimeOffset? RateLimitedUntil { get; init; }
}
