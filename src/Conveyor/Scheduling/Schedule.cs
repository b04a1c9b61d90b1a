using System.Text.Json;

namespace Conveyor.Scheduling;

/// <summary>What a schedule does with the ticks it missed while no process ran it.</summary>
public enum MissedTicks
{
    /// <summary>One run for all the missed ticks (the latest); the others are recorded as missed.</summary>
    Once,
    /// <summary>A run for every missed tick, at most 100 (the latest ones).</summary>
    All,
    /// <summary>No run for missed ticks; they are recorded as missed.</summary>
    Skip,
}

/// <summary>What a tick does while the previous tick's job is still unfinished.</summary>
public enum Overlap
{
    /// <summary>Run anyway.</summary>
    Allow,
    /// <summary>Record the tick as skipped for overlap.</summary>
    Skip,
}

/// <summary>What became of one tick, as its ledger row says.</summary>
public enum ScheduleRunFate
{
    /// <summary>A job was enqueued for it.</summary>
    Enqueued,
    /// <summary>It was missed (no process ran the scheduler then) and the policy did not run it.</summary>
    Missed,
    /// <summary>The previous tick's job was still unfinished and overlap is skip.</summary>
    Overlapped,
    /// <summary>The schedule was paused.</summary>
    Paused,
    /// <summary>Run by hand (trigger), outside the cron ticks.</summary>
    Triggered,
}

/// <summary>A schedule as it is defined: upserted by name (from code at start, the HTTP API or the CLI).</summary>
public sealed record ScheduleDefinition
{
    /// <summary>Its unique name (letters, digits, . _ : -).</summary>
    public required string Name { get; init; }
    /// <summary>A cron expression (5 or 6 fields, @daily...) or <c>@every 90s</c>.</summary>
    public required string Cron { get; init; }
    /// <summary>The IANA time zone its cron is read in. Default UTC.</summary>
    public string TimeZone { get; init; } = "UTC";
    /// <summary>The kind of job each tick enqueues.</summary>
    public required string Kind { get; init; }
    /// <summary>The job's args as JSON. Default <c>{}</c>.</summary>
    public string Args { get; init; } = "{}";
    /// <summary>The job's queue. Default: the kind's queue, else "default".</summary>
    public string? Queue { get; init; }
    /// <summary>The job's priority.</summary>
    public int Priority { get; init; }
    /// <summary>The job's attempt budget (null: the kind's or the default).</summary>
    public int? MaxAttempts { get; init; }
    /// <summary>False: defined but never ticking.</summary>
    public bool Enabled { get; init; } = true;
    /// <summary>What to do with ticks missed during downtime. Default <see cref="MissedTicks.Once"/>.</summary>
    public MissedTicks Missed { get; init; } = MissedTicks.Once;
    /// <summary>What to do while the previous tick's job is unfinished. Default <see cref="Overlap.Allow"/>.</summary>
    public Overlap Overlap { get; init; } = Overlap.Allow;
    /// <summary>Each job starts up to this much later than its tick, at random (spreads load). Default none.</summary>
    public TimeSpan? Jitter { get; init; }
}

/// <summary>A schedule as stored: its definition and where it stands.</summary>
/// <param name="Definition">What it does.</param>
/// <param name="NextRunAt">Its next tick (null: none left).</param>
/// <param name="LastRunAt">Its latest tick handled.</param>
/// <param name="PausedAt">When it was paused (null: running).</param>
/// <param name="UpdatedAt">When it was last defined.</param>
public sealed record ScheduleInfo(ScheduleDefinition Definition, DateTimeOffset? NextRunAt, DateTimeOffset? LastRunAt, DateTimeOffset? PausedAt, DateTimeOffset UpdatedAt);

/// <summary>One ledger row: a tick of a schedule and its fate.</summary>
/// <param name="Schedule">The schedule.</param>
/// <param name="ScheduledFor">The tick.</param>
/// <param name="Fate">What became of it.</param>
/// <param name="JobId">The job enqueued for it.</param>
/// <param name="RecordedAt">When it was decided.</param>
public sealed record ScheduleRun(string Schedule, DateTimeOffset ScheduledFor, ScheduleRunFate Fate, long? JobId, DateTimeOffset RecordedAt);

internal static class ScheduleNames
{
    public static string ToName(this ScheduleRunFate fate) => JsonNamingPolicy.SnakeCaseLower.ConvertName(fate.ToString());
    public static ScheduleRunFate ParseFate(string text) => Enum.Parse<ScheduleRunFate>(text.Replace("_", ""), ignoreCase: true);
}
