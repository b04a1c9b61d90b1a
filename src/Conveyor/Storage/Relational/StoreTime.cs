using System.Globalization;

namespace Conveyor.Storage.Relational;

/// <summary>
/// Times as fixed-width UTC ISO-8601 text, microsecond precision: SQLite's column format (text order is time
/// order) and the format of times inside JSON parameters, which both databases read.
/// </summary>
internal static class StoreTime
{
    private const string Format = "yyyy-MM-dd'T'HH:mm:ss.ffffff'Z'";

    public static string ToText(DateTimeOffset time) => time.UtcDateTime.ToString(Format, CultureInfo.InvariantCulture);

    public static DateTimeOffset Parse(string text) =>
        DateTimeOffset.ParseExact(text, Format, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal);
}
