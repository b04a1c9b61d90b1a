using System.Text.RegularExpressions;

namespace Conveyor.Sources;

/// <summary>
/// Checks a table source before it is stored or run. Names that end up in SQL (table, columns) must be plain identifiers
/// (letters, digits, underscores; not starting with a digit; at most 63 bytes) and are then double-quoted, so nothing a
/// user configures can change the statement; statuses, kind and queue are bound as parameters.
/// </summary>
internal static partial class TableSourceValidation
{
    [GeneratedRegex("^[A-Za-z_][A-Za-z0-9_]{0,62}$")]
    private static partial Regex Identifier();

    public static void Validate(TableSourceDefinition source)
    {
        ArgumentNullException.ThrowIfNull(source);
        JobValidation.ValidateNameText(source.Name, "Source name");
        TableParts(source.Table);
        Column(source.KeyColumn, "Key column");
        Column(source.StatusColumn, "Status column");
        foreach (var column in source.Columns ?? [])
            Column(column, "Column");
        if (source.Columns is { } columns && columns.Distinct(StringComparer.Ordinal).Count() != columns.Count)
            throw new JobValidationException("Columns: each column once.");
        if (string.IsNullOrEmpty(source.FromStatus) || string.IsNullOrEmpty(source.ToStatus))
            throw new JobValidationException("Both the status to take (from) and the status to set (to) are required.");
        if (source.FromStatus == source.ToStatus)
            throw new JobValidationException($"The status to set must differ from the status to take ('{source.FromStatus}'), or every row would be taken again.");
        if (source.Interval < TimeSpan.FromSeconds(1) || source.Interval > TimeSpan.FromDays(1))
            throw new JobValidationException($"Interval must be between 1 s and 1 day (got {source.Interval}).");
        if (source.BatchSize is < 1 or > 10_000)
            throw new JobValidationException($"Batch size must be between 1 and 10,000 (got {source.BatchSize}).");
        JobValidation.ValidateKind(source.Kind);
        JobValidation.ValidateOptions(new EnqueueOptions { Queue = source.Queue, Priority = source.Priority, MaxAttempts = source.MaxAttempts });
    }

    /// <summary>The table as its (schema, name) parts, each a plain identifier.</summary>
    public static IReadOnlyList<string> TableParts(string? table)
    {
        var parts = (table ?? "").Split('.');
        if (parts.Length > 2 || parts.Any(p => !Identifier().IsMatch(p)))
            throw new JobValidationException($"Table '{table}' must be a plain name or schema.name (letters, digits, underscores).");
        return parts;
    }

    /// <summary>A validated identifier, double-quoted for SQL.</summary>
    public static string Quote(string identifier, string what = "Column") => "\"" + Column(identifier, what) + "\"";

    /// <summary>A validated table name, each part double-quoted.</summary>
    public static string QuoteTable(string table) => string.Join(".", TableParts(table).Select(p => "\"" + p + "\""));

    private static string Column(string? name, string what) =>
        name is not null && Identifier().IsMatch(name) ? name
            : throw new JobValidationException($"{what} '{name}' must be a plain identifier (letters, digits, underscores, not starting with a digit).");
}
