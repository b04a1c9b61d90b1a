using System.Reflection;

namespace Conveyor.Storage.Relational;

/// <summary>
/// Reads a store's SQL from files embedded in its assembly (one file per database operation, as
/// <c>Sql/job_claim.sql</c>), so that the SQL can be read and reviewed as SQL. Not cached: <see cref="SqlDialect"/>
/// keeps each statement as it rewrote it.
/// </summary>
internal sealed class EmbeddedSql(Assembly assembly, string prefix)
{
    /// <summary>The text of <c>{prefix}{name}.sql</c>, read from the assembly.</summary>
    public string this[string name] => Read(prefix + name + ".sql");

    /// <summary>Every embedded resource under <paramref name="folderPrefix"/>, ordered by name (migrations).</summary>
    public IReadOnlyList<(string Name, string Text)> All(string folderPrefix) =>
        [.. assembly.GetManifestResourceNames()
            .Where(n => n.StartsWith(folderPrefix, StringComparison.Ordinal) && n.EndsWith(".sql", StringComparison.Ordinal))
            .Order(StringComparer.Ordinal)
            .Select(n => (n[folderPrefix.Length..^4], Read(n)))];

    private string Read(string resource)
    {
        using var stream = assembly.GetManifestResourceStream(resource)
            ?? throw new InvalidOperationException($"Embedded SQL '{resource}' is missing from {assembly.GetName().Name}.");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }
}
