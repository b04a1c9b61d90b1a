using System.Reflection;
using System.Text.RegularExpressions;

namespace Conveyor.Storage.Relational;

/// <summary>
/// Reads a store's SQL from files embedded in its assembly (one file per database operation, as
/// <c>Sql/job_claim.sql</c>), so that the SQL can be read and reviewed as SQL. Not cached: <see cref="SqlDialect"/>
/// keeps each statement as it rewrote it. A line <c>-- include: name</c> stands for the text of <c>name.sql</c> (a part
/// that two statements share, as the claim's transition to running), so that it is written once.
/// </summary>
internal sealed partial class EmbeddedSql(Assembly assembly, string prefix)
{
    /// <summary>The text of <c>{prefix}{name}.sql</c>, read from the assembly, with its includes in place.</summary>
    public string this[string name] => Expand(name, []);

    private string Expand(string name, HashSet<string> including)
    {
        if (!including.Add(name))
            throw new InvalidOperationException($"Embedded SQL '{name}.sql' includes itself.");
        var text = IncludeLine().Replace(Read(prefix + name + ".sql"), m => Expand(m.Groups["name"].Value, including).TrimEnd('\n'));
        including.Remove(name);
        return text;
    }

    [GeneratedRegex(@"^-- include: (?<name>[a-z0-9_]+)[ \t]*$", RegexOptions.Multiline)]
    private static partial Regex IncludeLine();

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
