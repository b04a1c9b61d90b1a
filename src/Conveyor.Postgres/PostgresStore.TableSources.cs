using System.Text.Json;
using Conveyor.Sources;
using Conveyor.Storage;
using Conveyor.Storage.Relational;
using Npgsql;
using NpgsqlTypes;

namespace Conveyor.Postgres;

// Table sources: PostgreSQL only (a poll is one statement with data-modifying CTEs, which SQLite does not have).
public sealed partial class PostgresStore : ITableSourceStore
{
    /// <inheritdoc />
    public async Task<TableSourceInfo> TableSourceUpsertAsync(TableSourceDefinition source, CancellationToken ct)
    {
        TableSourceValidation.Validate(source);
        await using var session = await WriteAsync(ct);
        await using (var columns = Command(session, "table_source_columns").With("table", TableSourceValidation.QuoteTable(source.Table)))
        {
            var existing = (await ReadAllAsync(columns, r => r.String("name"), ct)).ToHashSet(StringComparer.Ordinal);
            if (existing.Count == 0)
                throw new JobValidationException($"Table '{source.Table}' does not exist (or has no columns) in this database.");
            var missing = new[] { source.KeyColumn, source.StatusColumn }.Concat(source.ArgsColumns).Where(c => !existing.Contains(c)).Distinct().ToList();
            if (missing.Count > 0)
                throw new JobValidationException($"Table '{source.Table}' has no column {string.Join(", ", missing.Select(c => $"'{c}'"))}.");
        }
        await using var command = Command(session, "table_source_upsert")
            .With("name", source.Name).With("definition", JsonSerializer.Serialize(source, ConveyorJson.Options));
        var info = (await ReadAllAsync(command, ReadSource, ct))[0];
        await session.CommitAsync(ct);
        return info;
    }

    /// <inheritdoc />
    public async Task<bool> TableSourceDeleteAsync(string name, CancellationToken ct)
    {
        await using var session = await WriteAsync(ct);
        await using var command = Command(session, "table_source_delete").With("name", name);
        var deleted = await command.ExecuteNonQueryAsync(ct) > 0;
        await session.CommitAsync(ct);
        return deleted;
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<TableSourceInfo>> TableSourceListAsync(CancellationToken ct)
    {
        await using var session = await ReadAsync(ct);
        await using var command = Command(session, "table_source_list");
        return await ReadAllAsync(command, ReadSource, ct);
    }

    /// <inheritdoc />
    public async Task<int> TableSourcePollAsync(TableSourceDefinition source, CancellationToken ct)
    {
        // Validated again: a definition read back from the table may have been edited by hand.
        TableSourceValidation.Validate(source);
        var args = source.ArgsColumns.Select((c, i) => $"@arg{i}::text, t.{TableSourceValidation.Quote(c)}");
        await using var session = await WriteAsync(ct);
        await using var command = Command(session, "table_source_poll");
        command.CommandText = command.CommandText
            .Replace("{table}", TableSourceValidation.QuoteTable(source.Table), StringComparison.Ordinal)
            .Replace("{key}", TableSourceValidation.Quote(source.KeyColumn, "Key column"), StringComparison.Ordinal)
            .Replace("{status}", TableSourceValidation.Quote(source.StatusColumn, "Status column"), StringComparison.Ordinal)
            .Replace("{args}", string.Join(", ", args), StringComparison.Ordinal);
        for (var i = 0; i < source.ArgsColumns.Count; i++)
            command.With($"arg{i}", source.ArgsColumns[i]);
        command.Parameters.Add(new NpgsqlParameter("from", NpgsqlDbType.Unknown) { Value = source.FromStatus });
        command.Parameters.Add(new NpgsqlParameter("to", NpgsqlDbType.Unknown) { Value = source.ToStatus });
        command.With("batch_size", source.BatchSize).With("queue", source.Queue).With("kind", source.Kind)
            .With("priority", source.Priority).With("max_attempts", source.MaxAttempts ?? 10).With("name", source.Name);
        var moved = (await ReadAllAsync(command, r => r.Int("moved"), ct))[0];
        await session.CommitAsync(ct);
        return moved;
    }

    private static TableSourceInfo ReadSource(RowReader r) => new(
        JsonSerializer.Deserialize<TableSourceDefinition>(r.String("definition"), ConveyorJson.Options)!,
        r.NullableTime("last_polled_at"), r.Int("last_moved"), r.Long("total_moved"));
}
