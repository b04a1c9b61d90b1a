using System.Collections.Concurrent;
using Conveyor.Storage;

namespace Conveyor.Postgres;

/// <summary>
/// The embedded SQL with the configured schema. The files say "conveyor." and 'conveyor_...' channel names
/// so that they read (and run in psql) as they are; another schema name is substituted at load.
/// </summary>
internal sealed class PostgresSql(string schema)
{
    private static readonly EmbeddedSql Files = new(typeof(PostgresSql).Assembly, "Conveyor.Postgres.Sql.");
    private static readonly EmbeddedSql MigrationFiles = new(typeof(PostgresSql).Assembly, "Conveyor.Postgres.Migrations.");
    private readonly ConcurrentDictionary<string, string> _cache = new(StringComparer.Ordinal);

    public string this[string name] => _cache.GetOrAdd(name, n => ForSchema(Files[n]));

    public IReadOnlyList<(int Version, string Name, string Text)> Migrations() =>
        [.. MigrationFiles.All("Conveyor.Postgres.Migrations.")
            .Select(m => (int.Parse(m.Name[..4], System.Globalization.CultureInfo.InvariantCulture), m.Name, ForSchema(m.Text)))];

    public string ForSchema(string sql) =>
        schema == "conveyor" ? sql : sql.Replace("conveyor.", schema + ".", StringComparison.Ordinal).Replace("'conveyor_", "'" + schema + "_", StringComparison.Ordinal);
}
