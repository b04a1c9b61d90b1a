using Conveyor.Storage;
using Npgsql;

namespace Conveyor.Postgres;

/// <summary>
/// Applies the embedded migrations in order, each in its own transaction, under a session advisory lock so
/// that ten processes starting at once migrate once; records them in {schema}.schema_migrations.
/// </summary>
internal sealed class PostgresMigrator(PostgresStore store)
{
    public async Task MigrateAsync(CancellationToken ct)
    {
        var migrations = store.Sql.Migrations();
        var latest = migrations.Max(m => m.Version);
        await using var connection = await store.OpenAsync(ct);
        await ExecuteAsync(connection, null, "SELECT pg_advisory_lock(hashtext(@key))", ct, ("key", "conveyor-migrate:" + store.Schema));
        try
        {
            await ExecuteAsync(connection, null, $"CREATE SCHEMA IF NOT EXISTS {store.Schema}", ct);
            await ExecuteAsync(connection, null,
                $"CREATE TABLE IF NOT EXISTS {store.Schema}.schema_migrations (version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())", ct);
            var applied = new HashSet<int>();
            await using (var read = new NpgsqlCommand($"SELECT version FROM {store.Schema}.schema_migrations", connection))
            await using (var reader = await read.ExecuteReaderAsync(ct))
            {
                while (await reader.ReadAsync(ct))
                    applied.Add(reader.GetInt32(0));
            }
            var newest = applied.Count == 0 ? 0 : applied.Max();
            if (newest > latest)
                throw new StoreVersionException($"PostgreSQL schema '{store.Schema}' has version {newest}; this Conveyor knows up to {latest}. Upgrade Conveyor.");
            foreach (var migration in migrations.Where(m => !applied.Contains(m.Version)))
            {
                await using var transaction = await connection.BeginTransactionAsync(ct);
                await ExecuteAsync(connection, transaction, migration.Text, ct);
                await ExecuteAsync(connection, transaction, $"INSERT INTO {store.Schema}.schema_migrations (version, name) VALUES (@v, @n)", ct,
                    ("v", migration.Version), ("n", migration.Name));
                await transaction.CommitAsync(ct);
            }
        }
        finally
        {
            await ExecuteAsync(connection, null, "SELECT pg_advisory_unlock(hashtext(@key))", CancellationToken.None, ("key", "conveyor-migrate:" + store.Schema));
        }
    }

    private static async Task ExecuteAsync(NpgsqlConnection connection, NpgsqlTransaction? transaction, string sql, CancellationToken ct, params (string Name, object Value)[] parameters)
    {
        await using var command = new NpgsqlCommand(sql, connection, transaction);
        foreach (var (name, value) in parameters)
            command.Parameters.AddWithValue(name, value);
        await command.ExecuteNonQueryAsync(ct);
    }
}
