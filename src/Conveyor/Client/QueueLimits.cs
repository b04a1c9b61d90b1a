using System.Globalization;

namespace Conveyor;

/// <summary>
/// Limits a queue's claims obey across every process sharing the store. They are checked inside the claim statement: a job
/// a limit holds back stays queued, uncharged and unmoved, and jobs of other keys behind it are still handed out. Null: no limit.
/// </summary>
/// <param name="Concurrency">At most this many of the queue's jobs running at once, anywhere.</param>
/// <param name="PerKey">At most this many running at once with the same <see cref="Job.ConcurrencyKey"/> (jobs without a key are not limited by it).</param>
/// <param name="Rate">At most this many starts in each window of the rate's period.</param>
public sealed record QueueLimits(int? Concurrency = null, int? PerKey = null, QueueRate? Rate = null)
{
    /// <summary>The largest concurrency or per-key limit accepted.</summary>
    public const int MaxLimit = 1_000_000;

    /// <summary>True when any limit is set.</summary>
    public bool Any => Concurrency is not null || PerKey is not null || Rate is not null;

    /// <summary>Throws <see cref="JobValidationException"/> when a limit is out of range.</summary>
    public void Validate()
    {
        if (Concurrency is < 1 or > MaxLimit)
            throw new JobValidationException($"concurrency: {Concurrency} is out of range (1 to {MaxLimit}).");
        if (PerKey is < 1 or > MaxLimit)
            throw new JobValidationException($"per-key: {PerKey} is out of range (1 to {MaxLimit}).");
        Rate?.Validate();
    }

    /// <summary>"concurrency 4, per key 2, rate 10/1s", or "none".</summary>
    public override string ToString()
    {
        var parts = new List<string>(3);
        if (Concurrency is { } c)
            parts.Add($"concurrency {c}");
        if (PerKey is { } k)
            parts.Add($"per key {k}");
        if (Rate is { } r)
            parts.Add($"rate {r}");
        return parts.Count == 0 ? "none" : string.Join(", ", parts);
    }
}

/// <summary>
/// A rate limit: at most <paramref name="Count"/> starts per <paramref name="Period"/>. Windows are fixed: one opens at
/// the first start after the previous one closed and lasts the period, so no window of the queue's own holds more than
/// <paramref name="Count"/> starts.
/// </summary>
/// <param name="Count">Starts allowed in one window (1 to 1,000,000).</param>
/// <param name="Period">The window's length (10 ms to 1 day).</param>
public sealed record QueueRate(int Count, TimeSpan Period)
{
    /// <summary>Parses <c>10/1s</c>, <c>100/1m</c>, <c>5/500ms</c>; throws <see cref="JobValidationException"/> otherwise.</summary>
    public static QueueRate Parse(string text)
    {
        var slash = text.IndexOf('/', StringComparison.Ordinal);
        if (slash <= 0 || !int.TryParse(text.AsSpan(0, slash).Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var count)
            || !Durations.TryParse(text[(slash + 1)..], out var period))
            throw new JobValidationException($"rate: '{text}' is not a rate (write starts/period, like 10/1s, 100/1m or 5/500ms).");
        var rate = new QueueRate(count, period);
        rate.Validate();
        return rate;
    }

    /// <summary>Throws <see cref="JobValidationException"/> when the count or period is out of range.</summary>
    public void Validate()
    {
        if (Count is < 1 or > QueueLimits.MaxLimit)
            throw new JobValidationException($"rate: {Count} starts is out of range (1 to {QueueLimits.MaxLimit}).");
        if (Period < TimeSpan.FromMilliseconds(10) || Period > TimeSpan.FromDays(1))
            throw new JobValidationException($"rate: a period of {Durations.Format(Period)} is out of range (10ms to 1d).");
    }

    /// <summary>"10/1s": exact, so that what is shown (the CLI, the API, the dashboard's form) parses back to the same rate.</summary>
    public override string ToString() => $"{Count}/{ExactPeriod(Period)}";

    // Durations.Format rounds (61 s shows as "1m"); a rate is edited from what is shown, so it takes the largest unit that is exact.
    private static string ExactPeriod(TimeSpan period) =>
        period.Ticks % TimeSpan.TicksPerDay == 0 ? $"{period.Ticks / TimeSpan.TicksPerDay}d"
        : period.Ticks % TimeSpan.TicksPerHour == 0 ? $"{period.Ticks / TimeSpan.TicksPerHour}h"
        : period.Ticks % TimeSpan.TicksPerMinute == 0 ? $"{period.Ticks / TimeSpan.TicksPerMinute}m"
        : period.Ticks % TimeSpan.TicksPerSecond == 0 ? $"{period.Ticks / TimeSpan.TicksPerSecond}s"
        : period.TotalMilliseconds.ToString("0.###", CultureInfo.InvariantCulture) + "ms";
}
