using System.Data;
using System.Text.Json;
using System.Collections.Concurrent;
using System.Data.Common;
using Conveyor.Storage;
using Conveyor.Storage.Relational;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Conveyor.Sqlite;

/// <summary>
/// The embedded store: one SQLite file in WAL mode. Several processes on one machine may share it: every write
/// runs inside BEGIN IMMEDIATE (the write lock is taken before the read), and a busy database is waited for
/// (busy_timeout) rather than failed. SQLite is one machine by definition, so its clock is this process's
/// <see cref="TimeProvider"/>.
/// </summary>
public sealed class SqliteStore(string database, TimeProvider? time = null, ILoggerFactory? loggers = null)
    : SqlStore(new SqliteDialect(database, time ?? TimeProvider.System, loggers ?? NullLoggerFactory.Instance))
{
    /// <summary>Accepts a file path (<c>./conveyor.db</c>) or a connection string (<c>Data Source=jobs.db</c>).</summary>
    public static SqliteConnectionStringBuilder ParseConnectionString(string database) => SqliteDialect.Parse(database);
}

internal sealed class SqliteDialect : SqlDialect
{
    private const int BusyTimeoutMs = 30_000;

    private readonly string _connectionString;
    private readonly string _path;
    private readonly TimeProvider _time;
    private readonly SqliteNotifier _notifier;
    private readonly ConcurrentDictionary<string, string> _claimSql = new(StringComparer.Ordinal);

    // SQLite has one writer at a time. Writers of this process queue here instead of in SQLite's busy handler,
    // which sleeps in steps of up to 100 ms: with claims and batched finishes contending in one process,
    // finishes averaged 249 ms (busy sleeps) and the drain ran at ~2,600 jobs/s; queued here, 12,000+.
    private readonly SemaphoreSlim _writeLock = new(1, 1);

    public SqliteDialect(string database, TimeProvider time, ILoggerFactory loggers) : base("Conveyor.Sqlite")
    {
        var builder = Parse(database);
        _path = builder.DataSource;
        builder.Pooling = true;
        builder.DefaultTimeout = BusyTimeoutMs / 1000;
        _connectionString = builder.ToString();
        _time = time;
        _notifier = new SqliteNotifier(OpenAsync, loggers.CreateLogger<SqliteNotifier>());
        var directory = Path.GetDirectoryName(Path.GetFullPath(_path));
        if (!string.IsNullOrEmpty(directory) && builder.Mode != SqliteOpenMode.Memory)
            Directory.CreateDirectory(directory);
    }

    public static SqliteConnectionStringBuilder Parse(string database)
    {
        if (string.IsNullOrWhiteSpace(database))
            throw new ArgumentException("A SQLite database path or connection string is required.", nameof(database));
        return database.Contains('=') ? new SqliteConnectionStringBuilder(database) : new SqliteConnectionStringBuilder { DataSource = database };
    }

    public override string Description => $"sqlite {_path}";
    public override LocalNotifier Notifier => _notifier;

    public override async Task<DbConnection> OpenAsync(CancellationToken ct)
    {
        var connection = new SqliteConnection(_connectionString);
        try
        {
            await connection.OpenAsync(ct);
        }
        catch (SqliteException ex)
        {
            await connection.DisposeAsync();
            throw new StoreUnavailableException($"Cannot open SQLite database '{_path}': {ex.Message}", ex);
        }
        // Per connection; journal_mode=WAL is persistent and set when migrating.
        await using var pragma = connection.CreateCommand();
        pragma.CommandText = $"PRAGMA busy_timeout = {BusyTimeoutMs}; PRAGMA synchronous = NORMAL;";
        await pragma.ExecuteNonQueryAsync(ct);
        return connection;
    }

    public override async ValueTask<IDisposable?> EnterWriteAsync(CancellationToken ct)
    {
        await _writeLock.WaitAsync(ct);
        return new Release(_writeLock);
    }

    public override Task<DbTransaction?> BeginWriteAsync(DbConnection connection, CancellationToken ct) =>
        Task.FromResult<DbTransaction?>(((SqliteConnection)connection).BeginTransaction(deferred: false));

    public override DbConnection ApplicationConnection(DbTransaction transaction) =>
        (transaction as SqliteTransaction ?? throw new ArgumentException($"The SQLite store needs a SqliteTransaction, not {transaction.GetType().Name}.", nameof(transaction)))
            .Connection ?? throw new ArgumentException("The transaction has already completed.", nameof(transaction));

    public override void BindNow(DbCommand command, DateTimeOffset? now) => command.With("now", StoreTime.ToText(now ?? _time.GetUtcNow()));

    public override DateTimeOffset ReadTime(DbDataReader reader, int ordinal) => StoreTime.Parse(reader.GetString(ordinal));

    public override string BindTime(DbCommand command, string name, DateTimeOffset time)
    {
        command.With(name, StoreTime.ToText(time));
        return "@" + name;
    }

    public override string HasTag(DbCommand command, string tag)
    {
        command.With("tag", tag);
        return "EXISTS (SELECT 1 FROM json_each(tags) WHERE value = @tag)";
    }

    /// <summary>One json_extract comparison per leaf of the object (nested objects walk down; arrays compare whole).</summary>
    public override string ArgsContain(DbCommand command, string json)
    {
        var conditions = new List<string>();
        void Walk(JsonElement element, string path)
        {
            foreach (var field in element.EnumerateObject())
            {
                var fieldPath = path + ".\"" + field.Name + "\"";
                if (field.Value.ValueKind == JsonValueKind.Object && field.Value.EnumerateObject().Any())
                {
                    Walk(field.Value, fieldPath);
                    continue;
                }
                var i = conditions.Count;
                command.With($"args_path_{i}", fieldPath);
                conditions.Add(field.Value.ValueKind switch
                {
                    JsonValueKind.Null => $"json_type(args, @args_path_{i}) = 'null'",
                    JsonValueKind.True or JsonValueKind.False => Bind(i, field.Value.ValueKind == JsonValueKind.True ? 1L : 0L, null),
                    JsonValueKind.Number when field.Value.TryGetInt64(out var n) => Bind(i, n, Needle(n)),
                    JsonValueKind.Number => Bind(i, field.Value.GetDouble(), null),
                    JsonValueKind.String => Bind(i, field.Value.GetString()!, Needle(field.Value.GetString()!)),
                    _ => BindJson(i, field.Value.GetRawText()),
                });
            }
        }
        // Arrays (and empty objects) compare whole, as JSON.
        string BindJson(int i, string value)
        {
            command.With($"args_value_{i}", value);
            return $"json(json_extract(args, @args_path_{i})) = json(@args_value_{i})";
        }
        string Bind(int i, object value, string? needle)
        {
            command.With($"args_value_{i}", value, value switch { long => DbType.Int64, double => DbType.Double, _ => DbType.String });
            var test = $"json_extract(args, @args_path_{i}) = @args_value_{i}";
            // A plain value appears verbatim in the stored (compact) args text: instr() rules most rows out without parsing
            // their JSON (an args search for one user among 1,000,000 jobs: 201 ms with json_extract alone).
            if (needle is not null)
            {
                command.With($"args_needle_{i}", needle);
                test = $"instr(args, @args_needle_{i}) > 0 AND " + test;
            }
            return test;
        }
        static string? Needle(object value) => value switch
        {
            long n => n.ToString(System.Globalization.CultureInfo.InvariantCulture),
            string s when s.Length > 0 && s.All(c => char.IsAsciiLetterOrDigit(c) || c is ' ' or '_' or '-' or '.' or ':' or '@') => "\"" + s + "\"",
            _ => null,
        };
        using var document = JsonDocument.Parse(json);
        Walk(document.RootElement, "$");
        return conditions.Count == 0 ? "1 = 1" : "(" + string.Join(" AND ", conditions) + ")";
    }

    /// <summary>
    /// One ready-set subquery per queue (job_claim_ready.sql), joined by UNION ALL. Reads which queues have limits inside the
    /// claim's write transaction (exact: no other process writes meanwhile), then puts the limits into job_claim.sql only
    /// where they apply: a claim with no limited queue is the statement from before limits.
    /// </summary>
    public override async Task<string> ClaimSqlAsync(DbConnection connection, DbCommand command, IReadOnlyList<string> queues, CancellationToken ct)
    {
        for (var i = 0; i < queues.Count; i++)
            command.With($"queue_{i}", queues[i]);
        var limited = new Dictionary<string, bool>(StringComparer.Ordinal); // queue -> has a per-key limit
        await using (var read = connection.CreateCommand())
        {
            read.Transaction = command.Transaction;
            read.CommandText = Sql("queue_limited");
            await using var reader = await read.ExecuteReaderAsync(ct);
            while (await reader.ReadAsync(ct))
                limited[reader.GetString(0)] = reader.GetBoolean(1);
        }
        // The statement's shape, a letter a queue: p plain, l limited, k limited with a per-key limit.
        var shape = string.Concat(queues.Select(q => limited.TryGetValue(q, out var perKey) ? perKey ? 'k' : 'l' : 'p'));
        return _claimSql.GetOrAdd(shape, key => Sql("job_claim")
            .Replace("{rate}", key.All(c => c == 'p') ? "" : Sql("job_claim_rate"), StringComparison.Ordinal)
            .Replace("{ready}", string.Join("\nUNION ALL\n", key.Select((c, i) => (c == 'p' ? Sql("job_claim_ready")
                    : Sql("job_claim_ready_limited").Replace("{keys}", c == 'k' ? Sql("job_claim_ready_keys") : "", StringComparison.Ordinal))
                .Replace("@queue", $"@queue_{i}", StringComparison.Ordinal))),
            StringComparison.Ordinal));
    }

    /// <summary>No lock beyond each migration's BEGIN IMMEDIATE; WAL is switched on first, outside any transaction.</summary>
    public override async Task<IAsyncDisposable> MigrationLockAsync(DbConnection connection, CancellationToken ct)
    {
        await using var wal = connection.CreateCommand();
        wal.CommandText = "PRAGMA journal_mode = WAL;";
        await wal.ExecuteNonQueryAsync(ct);
        return new Release(null);
    }

    private sealed class Release(SemaphoreSlim? semaphore) : IDisposable, IAsyncDisposable
    {
        public void Dispose() => semaphore?.Release();

        public ValueTask DisposeAsync()
        {
            Dispose();
            return ValueTask.CompletedTask;
        }
    }
}
