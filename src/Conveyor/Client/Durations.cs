using System.Globalization;
using System.Text.RegularExpressions;

namespace Conveyor;

/// <summary>Durations as people write them: <c>500ms</c>, <c>10s</c>, <c>5m</c>, <c>1h</c>, <c>2d</c>, <c>1.5s</c>, or <c>hh:mm:ss</c>.</summary>
internal static partial class Durations
{
    [GeneratedRegex(@"^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)\s*$", RegexOptions.IgnoreCase)]
    private static partial Regex Pattern();

    /// <summary>Parses a duration; false when <paramref name="text"/> is not one.</summary>
    public static bool TryParse(string? text, out TimeSpan duration)
    {
        duration = default;
        if (string.IsNullOrWhiteSpace(text))
            return false;
        var match = Pattern().Match(text);
        if (match.Success)
        {
            var value = double.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture);
            duration = match.Groups[2].Value.ToLowerInvariant() switch
            {
                "ms" => TimeSpan.FromMilliseconds(value),
                "s" => TimeSpan.FromSeconds(value),
                "m" => TimeSpan.FromMinutes(value),
                "h" => TimeSpan.FromHours(value),
                _ => TimeSpan.FromDays(value),
            };
            return true;
        }
        return text.Contains(':') && TimeSpan.TryParse(text, CultureInfo.InvariantCulture, out duration) && duration >= TimeSpan.Zero;
    }

    /// <summary>Parses or throws <see cref="JobValidationException"/> naming <paramref name="what"/>.</summary>
    public static TimeSpan Parse(string text, string what) =>
        TryParse(text, out var duration)
            ? duration
            : throw new JobValidationException($"{what}: '{text}' is not a duration (use 500ms, 10s, 5m, 1h or 2d).");

    /// <summary>The shortest of <c>500ms</c>, <c>1.5s</c>, <c>5m</c>, <c>2h</c>, <c>3d</c> that says it.</summary>
    public static string Format(TimeSpan duration) => duration switch
    {
        { TotalMilliseconds: < 1000 } => $"{duration.TotalMilliseconds:0}ms",
        { TotalSeconds: < 60 } => $"{duration.TotalSeconds:0.#}s",
        { TotalMinutes: < 60 } => $"{duration.TotalMinutes:0.#}m",
        { TotalHours: < 48 } => $"{duration.TotalHours:0.#}h",
        _ => $"{duration.TotalDays:0.#}d",
    };
}
