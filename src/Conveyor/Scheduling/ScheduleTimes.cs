using System.Globalization;
using Cronos;

namespace Conveyor.Scheduling;

/// <summary>
/// When a schedule fires: a cron expression (5 fields, or 6 with seconds; @yearly @monthly @weekly @daily @hourly) read
/// by Cronos in the schedule's time zone, or <c>@every 90s</c>, ticks at whole multiples of the interval since the Unix
/// epoch (so every process computes the same ticks). Cronos decides daylight-saving changes: a tick in a skipped local
/// hour runs once at the first valid instant after it; an ambiguous local time runs once, on its first occurrence.
/// </summary>
internal sealed class ScheduleTimes
{
    private readonly CronExpression? _cron;
    private readonly TimeSpan _every;

    private ScheduleTimes(string expression, CronExpression? cron, TimeSpan every, TimeZoneInfo zone)
    {
        Expression = expression;
        _cron = cron;
        _every = every;
        Zone = zone;
    }

    /// <summary>The expression as given.</summary>
    public string Expression { get; }

    /// <summary>The zone its local times are read in.</summary>
    public TimeZoneInfo Zone { get; }

    /// <summary>Parses an expression and an IANA time zone id (null: UTC); throws <see cref="JobValidationException"/> naming what is wrong.</summary>
    public static ScheduleTimes Parse(string? expression, string? timeZone = null)
    {
        if (string.IsNullOrWhiteSpace(expression))
            throw new JobValidationException("A schedule needs a cron expression, such as \"0 3 * * *\" or \"@every 90s\".");
        var zone = FindZone(timeZone);
        var text = expression.Trim();
        if (text.StartsWith("@every", StringComparison.OrdinalIgnoreCase))
        {
            var duration = text["@every".Length..].Trim();
            var every = duration.Length == 0
                ? throw new JobValidationException($"Invalid schedule \"{text}\": @every needs a duration, such as \"@every 90s\".")
                : Durations.Parse(duration, $"Schedule \"{text}\"");
            if (every < TimeSpan.FromSeconds(1))
                throw new JobValidationException($"Invalid schedule \"{text}\": the interval must be at least 1s.");
            return new ScheduleTimes(text, null, every, zone);
        }
        var fields = text.Split(' ', StringSplitOptions.RemoveEmptyEntries).Length;
        if (!text.StartsWith('@') && fields is not (5 or 6))
            throw new JobValidationException($"Invalid cron expression \"{text}\": it has {fields} fields; use 5 (minute hour day month weekday) or 6 (with seconds first).");
        try
        {
            var format = fields == 6 ? CronFormat.IncludeSeconds : CronFormat.Standard;
            return new ScheduleTimes(text, CronExpression.Parse(text, format), TimeSpan.Zero, zone);
        }
        catch (CronFormatException ex)
        {
            throw new JobValidationException($"Invalid cron expression \"{text}\": {ex.Message}");
        }
    }

    /// <summary>An IANA time zone (null or empty: UTC); throws <see cref="JobValidationException"/> for an unknown id.</summary>
    public static TimeZoneInfo FindZone(string? id)
    {
        if (string.IsNullOrWhiteSpace(id) || id is "UTC" or "Etc/UTC")
            return TimeZoneInfo.Utc;
        try
        {
            return TimeZoneInfo.FindSystemTimeZoneById(id);
        }
        catch (Exception ex) when (ex is TimeZoneNotFoundException or InvalidTimeZoneException)
        {
            throw new JobValidationException($"Unknown time zone \"{id}\": use an IANA id such as \"Europe/Berlin\" or \"America/New_York\".");
        }
    }

    /// <summary>The first tick strictly after <paramref name="after"/>, or null when there is none.</summary>
    public DateTimeOffset? Next(DateTimeOffset after)
    {
        if (_cron is null)
        {
            var ticks = after.UtcTicks - DateTimeOffset.UnixEpoch.UtcTicks;
            var next = (ticks / _every.Ticks + 1) * _every.Ticks;
            return new DateTimeOffset(DateTimeOffset.UnixEpoch.UtcTicks + next, TimeSpan.Zero);
        }
        var utc = _cron.GetNextOccurrence(after.UtcDateTime, Zone, inclusive: false);
        return utc is { } u ? new DateTimeOffset(u, TimeSpan.Zero) : null;
    }

    /// <summary>The ticks in (<paramref name="after"/>, <paramref name="until"/>], oldest first, at most <paramref name="max"/>.</summary>
    public IReadOnlyList<DateTimeOffset> Between(DateTimeOffset after, DateTimeOffset until, int max)
    {
        var ticks = new List<DateTimeOffset>();
        var at = after;
        while (ticks.Count < max && Next(at) is { } next && next <= until)
        {
            ticks.Add(next);
            at = next;
        }
        return ticks;
    }

    /// <summary>The next <paramref name="count"/> ticks after <paramref name="after"/>, each with its local time and whether its UTC offset differs from the tick before (a daylight-saving change).</summary>
    public IReadOnlyList<(DateTimeOffset Utc, DateTimeOffset Local, bool OffsetChanged)> Preview(DateTimeOffset after, int count)
    {
        var result = new List<(DateTimeOffset, DateTimeOffset, bool)>();
        var previousOffset = TimeZoneInfo.ConvertTime(after, Zone).Offset;
        var at = after;
        while (result.Count < count && Next(at) is { } next)
        {
            var local = TimeZoneInfo.ConvertTime(next, Zone);
            result.Add((next, local, local.Offset != previousOffset));
            previousOffset = local.Offset;
            at = next;
        }
        return result;
    }

    /// <inheritdoc />
    public override string ToString() => Zone == TimeZoneInfo.Utc ? Expression : $"{Expression} ({Zone.Id})";

    internal static string Format(DateTimeOffset time) => time.ToString("yyyy-MM-dd HH:mm:ss zzz", CultureInfo.InvariantCulture);
}
