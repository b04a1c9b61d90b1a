using System.Text.Json;

namespace Conveyor;

/// <summary>Where a job is in its life: scheduled → queued → running → completed | failed | cancelled.</summary>
public enum JobState
{
    Scheduled,
    Queued,
    Running,
    Completed,
    Failed,
    Cancelled,
}

/// <summary>The wire and column spelling of <see cref="JobState"/> (lower case), kept in one place.</summary>
public static class JobStateNames
{
    public static string ToName(this JobState state) => state switch
    {
        JobState.Scheduled => "scheduled",
        JobState.Queued => "queued",
        JobState.Running => "running",
        JobState.Completed => "completed",
        JobState.Failed => "failed",
        JobState.Cancelled => "cancelled",
        _ => throw new ArgumentOutOfRangeException(nameof(state)),
    };

    public static bool TryParse(string? name, out JobState state)
    {
        switch (name?.Trim().ToLowerInvariant())
        {
            case "scheduled": state = JobState.Scheduled; return true;
            case "queued": state = JobState.Queued; return true;
            case "running": state = JobState.Running; return true;
            case "completed": state = JobState.Completed; return true;
            case "failed": state = JobState.Failed; return true;
            case "cancelled" or "canceled": state = JobState.Cancelled; return true;
            default: state = default; return false;
        }
    }

    public static JobState Parse(string name) =>
        TryParse(name, out var state) ? state : throw new FormatException($"Unknown job state '{name}'.");

    public static bool IsTerminal(this JobState state) =>
        state is JobState.Completed or JobState.Failed or JobState.Cancelled;

    public static IReadOnlyList<JobState> All { get; } = Enum.GetValues<JobState>();
}

/// <summary>One failed attempt, as stored in the job's <c>errors</c> array.</summary>
public sealed record JobError(DateTimeOffset At, int Attempt, string Type, string Message, string? Stack = null);

/// <summary>Progress as a handler reported it: percent 0-100, a stage text, and counters.</summary>
public sealed record JobProgress(int? Percent, string? Stage = null, long? Done = null, long? Total = null);

/// <summary>A job as stored: the read model returned by the client, the HTTP API and the CLI.</summary>
public sealed record Job
{
    public required long Id { get; init; }
    public required string Queue { get; init; }
    public required string Kind { get; init; }
    public required JsonElement Args { get; init; }
    public JsonElement? Result { get; init; }
    public required JobState State { get; init; }
    public int Priority { get; init; }
    public int Attempt { get; init; }
    public int MaxAttempts { get; init; }
    public DateTimeOffset RunAt { get; init; }
    public DateTimeOffset CreatedAt { get; init; }
    public DateTimeOffset? StartedAt { get; init; }
    public DateTimeOffset? FinishedAt { get; init; }
    public DateTimeOffset? LeaseUntil { get; init; }
    public string? WorkerId { get; init; }
    public JobProgress? Progress { get; init; }
    public IReadOnlyList<JobError> Errors { get; init; } = [];
    public string? BatchId { get; init; }
    public string? UniqueKey { get; init; }
    public string? ConcurrencyKey { get; init; }
    public IReadOnlyList<string> Tags { get; init; } = [];
    public TimeSpan? Timeout { get; init; }
    public DateTimeOffset? CancelRequestedAt { get; init; }

    [System.Text.Json.Serialization.JsonIgnore]
    public bool IsFinished => State.IsTerminal();
}

/// <summary>Per queue: how many jobs are in each state, and how long the oldest ready job has waited.</summary>
public sealed record QueueStats(string Queue, IReadOnlyDictionary<JobState, long> Counts, TimeSpan? OldestWaitingAge, bool Paused = false)
{
    public long Count(JobState state) => Counts.TryGetValue(state, out var n) ? n : 0;
}
