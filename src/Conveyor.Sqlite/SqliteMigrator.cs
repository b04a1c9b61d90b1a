using Conveyor.Storage;
using Microsoft.Data.Sqlite;

namespace Conveyor.Sqlite;

/// <summary>
/// Applies the embedded Migrations/NNNN_name.sql files in order, each in its own BEGIN IMMEDIATE transaction,
/// recording them in conveyor_migrations. The write lock serialises processes that start together.
/// </summary>
internal sealed class SqliteMigrator(SqliteStore store)
{
    private static readonly EmbeddedSql Files = new(typeof(SqliteMigrator).Assembly, "Conveyor.Sqlite.Migrations.");

    public async Task MigrateAsync(CancellationToken ct)
    {
        await using var connection = await store.OpenAsync(ct);
        await using (var wal = connection.CreateCommand())
        {
            wal.CommandText = "PRAGMA journal_mode = WAL;";
            await wal.ExecuteNonQueryAsync(ct);
        }
        var migrations = Files.All("Conveyor.Sqlite.Migrations.")
            .Select(m => (Version: int.Parse(m.Name[..4], System.Globalization.CultureInfo.InvariantCulture), m.Name, m.Text))
            .ToList();
        var latest = migrations.Max(m => m.Version);
        foreach (var migration in migrations)
        {
            await using var transaction = connection.BeginTransaction(deferred: false);
            await using (var create = connection.CreateCommand())
            {
                create.Transaction = transaction;
                create.CommandText = "CREATE TABLE IF NOT EXISTS conveyor_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)";
                await create.ExecuteNonQueryAsync(ct);
            }
            var applied = await AppliedVersionsAsync(connection, transaction, ct);
            var newest = applied.Count == 0 ? 0 : applied.Max();
            if (newest > latest)
                throw new StoreVersionException($"SQLite database '{store.FilePath}' has schema version {newest}; this Conveyor knows up to {latest}. Upgrade Conveyor.");
            if (applied.Contains(migration.Version))
                continue;
            await using (var apply = connection.CreateCommand())
            {
                apply.Transaction = transaction;
                apply.CommandText = migration.Text;
                await apply.ExecuteNonQueryAsync(ct);
            }
            await using (var record = connection.CreateCommand())
            {
                record.Transaction = transaction;
                record.CommandText = "INSERT INTO conveyor_migrations (version, name, applied_at) VALUES (@v, @n, @t)";
                record.Parameters.AddWithValue("@v", migration.Version);
                record.Parameters.AddWithValue("@n", migration.Name);
                record.Parameters.AddWithValue("@t", SqliteTime.ToText(DateTimeOffset.UtcNow));
                await record.ExecuteNonQueryAsync(ct);
            }
            await transaction.CommitAsync(ct);
        }
    }

    private static async Task<HashSet<int>> AppliedVersionsAsync(SqliteConnection connection, SqliteTransaction transaction, CancellationToken ct)
    {
        await using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = "SELECT version FROM conveyor_migrations";
        var versions = new HashSet<int>();
        await using var reader = await command.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
            versions.Add(reader.GetInt32(0));
        return versions;
    }
}
