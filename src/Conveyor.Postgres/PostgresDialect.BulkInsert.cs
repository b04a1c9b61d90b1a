using System.Data.Common;
using Conveyor.Storage;
using Conveyor.Storage.Relational;
using Npgsql;
using NpgsqlTypes;

namespace Conveyor.Postgres;

internal sealed partial class PostgresDialect
{
    /// <summary>
    /// Plain jobs by binary COPY: their ids are reserved first (job_reserve_ids.sql), then the rows stream in
    /// PostgreSQL's binary format, which the server stores without parsing a JSON document per row. The insert trigger
    /// (wake-up NOTIFY, kept counts) fires for COPY as for INSERT. An optional column is sent only when a row has a
    /// value for it; the others take the column's default. Without a test clock, run_at and created_at are their
    /// default, now(): the database's clock, as job_insert_many.sql stamps them.
    /// Measured (durable PostgreSQL 15, 2 cores, <c>Conveyor.Bench drain --store postgres</c>, one EnqueueManyAsync call of
    /// 20,000 no-op jobs): 34,806-36,960 jobs/s by job_insert_many.sql; 47,514-51,822 by COPY of every column; the
    /// figure with only the columns in use is in bench/README.md.
    /// </summary>
    public override async Task<long[]?> BulkInsertAsync(DbConnection connection, DbTransaction? transaction, IReadOnlyList<JobInsertRow> jobs,
        DateTimeOffset? now, CancellationToken ct)
    {
        var ids = new long[jobs.Count];
        await using (var reserve = connection.CreateCommand())
        {
            reserve.Transaction = transaction;
            reserve.CommandText = Sql("job_reserve_ids");
            reserve.With("n", jobs.Count);
            await using var reader = await reserve.ExecuteReaderAsync(ct);
            for (var i = 0; await reader.ReadAsync(ct); i++)
                ids[i] = reader.GetInt64(0);
        }
        Array.Sort(ids);
        var columns = Columns.Where(c => c.Always || jobs.Any(c.Has)).ToArray();
        var stamp = now?.ToUniversalTime();
        await using var writer = await ((NpgsqlConnection)connection).BeginBinaryImportAsync(
            $"COPY {_schema}.jobs (id, {string.Join(", ", columns.Select(c => c.Name))}{(stamp is null ? "" : ", run_at, created_at")}) FROM STDIN (FORMAT BINARY)", ct);
        for (var i = 0; i < jobs.Count; i++)
        {
            await writer.StartRowAsync(ct);
            await writer.WriteAsync(ids[i], NpgsqlDbType.Bigint, ct);
            foreach (var column in columns)
                await column.WriteAsync(writer, jobs[i], ct);
            if (stamp is { } at)
            {
                await writer.WriteAsync(at, NpgsqlDbType.TimestampTz, ct);
                await writer.WriteAsync(at, NpgsqlDbType.TimestampTz, ct);
            }
        }
        await writer.CompleteAsync(ct);
        return ids;
    }

    private static readonly CopyColumn[] Columns =
    [
        CopyColumn.Of("queue", j => j.Queue, NpgsqlDbType.Text, always: true),
        CopyColumn.Of("kind", j => j.Kind, NpgsqlDbType.Text, always: true),
        CopyColumn.Of("args", j => j.Args, NpgsqlDbType.Jsonb, always: true),
        CopyColumn.Of("state", _ => "queued", NpgsqlDbType.Text, always: true),
        CopyColumn.Of("priority", j => j.Priority, NpgsqlDbType.Integer, always: true),
        CopyColumn.Of("max_attempts", j => j.MaxAttempts, NpgsqlDbType.Integer, always: true),
        CopyColumn.Of("concurrency_key", j => j.ConcurrencyKey, NpgsqlDbType.Text),
        CopyColumn.Of("batch_id", j => j.BatchId, NpgsqlDbType.Text),
        CopyColumn.Of("tags", j => j.Tags is { Count: > 0 } tags ? tags as string[] ?? [.. tags] : null, NpgsqlDbType.Array | NpgsqlDbType.Text,
            missing: Array.Empty<string>()),
        CopyColumn.Of("timeout", j => j.Timeout, NpgsqlDbType.Interval),
        CopyColumn.Of("weight", j => (float?)j.Weight, NpgsqlDbType.Real),
        CopyColumn.Of("meta", j => j.TraceParent is { } t ? JsonParameters.Meta(t) : null, NpgsqlDbType.Jsonb),
    ];

    /// <summary>One column of the COPY: whether a row has a value for it, and how the value is written.</summary>
    private sealed record CopyColumn(string Name, bool Always, Func<JobInsertRow, bool> Has,
        Func<NpgsqlBinaryImporter, JobInsertRow, CancellationToken, Task> WriteAsync)
    {
        // missing: written for a row without a value when the column is sent (null: SQL NULL).
        public static CopyColumn Of<T>(string name, Func<JobInsertRow, T?> value, NpgsqlDbType type, bool always = false, T? missing = default) =>
            new(name, always, j => value(j) is not null, (w, j, ct) => (value(j) ?? missing) is { } v ? w.WriteAsync(v, type, ct) : w.WriteNullAsync(ct));
    }
}
