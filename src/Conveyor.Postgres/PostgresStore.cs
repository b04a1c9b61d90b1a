using System.Data;
using System.Data.Common;
using System.Text.RegularExpressions;
using Conveyor.Storage;
using Conveyor.Storage.Relational;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;

namespace Conveyor.Postgres;

/// <summary>Settings of the PostgreSQL store.</summary>
public sealed class PostgresStoreOptions
{
    /// <summary>The schema holding Conveyor's tables and functions. Default "conveyor".</summary>
    public string Schema { get; set; } = "conveyor";

    /// <summary>Hold a LISTEN connection for instant wake-ups. False behind a pooler in transaction mode (poll only). Default true.</summary>
    public bool Listen { get; set; } = true;
}

/// <summary>
/// The production store: many worker processes on many machines share one PostgreSQL. Claims use FOR UPDATE SKIP
/// LOCKED; inserts NOTIFY through a trigger (so enqueues from SQL wake workers too); enqueue can join the
/// application's own transaction. Lease expiry, due run_at and stale workers are judged by the database's clock.
/// </summary>
public sealed partial class PostgresStore : SqlStore
{
    /// <summary>A store over a <c>postgres://</c> URL or an Npgsql key-value string, with a data source of its own.</summary>
    public PostgresStore(string connectionString, PostgresStoreOptions? options = null, ILoggerFactory? loggers = null)
        : base(new PostgresDialect(PostgresDialect.Build(connectionString), ownsDataSource: true, options ?? new(), loggers ?? NullLoggerFactory.Instance))
    {
    }

    /// <summary>A store over the application's own data source (its pooling and settings).</summary>
    public PostgresStore(NpgsqlDataSource dataSource, PostgresStoreOptions? options = null, ILoggerFactory? loggers = null)
        : base(new PostgresDialect(dataSource, ownsDataSource: false, options ?? new(), loggers ?? NullLoggerFactory.Instance))
    {
    }
}

internal sealed partial class PostgresDialect : SqlDialect
{
    private readonly NpgsqlDataSource _dataSource;
    private readonly bool _ownsDataSource;
    private readonly string _schema;
    private readonly PostgresNotifier _notifier;

    public PostgresDialect(NpgsqlDataSource dataSource, bool ownsDataSource, PostgresStoreOptions options, ILoggerFactory loggers) : base("Conveyor.Postgres")
    {
        if (!SchemaName().IsMatch(options.Schema))
            throw new ArgumentException($"Schema '{options.Schema}' must be a plain lower-case identifier (letters, digits, underscores).");
        _dataSource = dataSource;
        _ownsDataSource = ownsDataSource;
        _schema = options.Schema;
        Description = PostgresConnectionString.Describe(new NpgsqlConnectionStringBuilder(dataSource.ConnectionString)) + $" (schema {_schema})";
        _notifier = new PostgresNotifier(dataSource, _schema, options.Listen, loggers.CreateLogger<PostgresNotifier>());
    }

    /// <summary>
    /// Auto-prepared statements unless the connection string says otherwise: the claim and outcome statements run
    /// thousands of times a second, and planning them anew each time cost a good part of each claim.
    /// </summary>
    public static NpgsqlDataSource Build(string connectionString)
    {
        var builder = PostgresConnectionString.Parse(connectionString);
        if (builder.MaxAutoPrepare == 0)
            builder.MaxAutoPrepare = 32;
        return new NpgsqlDataSourceBuilder(builder.ConnectionString).Build();
    }

    [GeneratedRegex("^[a-z_][a-z0-9_]{0,62}$")]
    private static partial Regex SchemaName();

    public override string Description { get; }
    public override LocalNotifier Notifier => _notifier;

    /// <summary>The files say "conveyor." and 'conveyor_...' channels so that they run in psql as they are; another schema is substituted here.</summary>
    protected override string Rewrite(string sql) =>
        _schema == "conveyor" ? sql : sql.Replace("conveyor.", _schema + ".", StringComparison.Ordinal)
            .Replace("'conveyor_", "'" + _schema + "_", StringComparison.Ordinal)
            .Replace("SCHEMA IF NOT EXISTS conveyor;", $"SCHEMA IF NOT EXISTS {_schema};", StringComparison.Ordinal);

    public override async Task<DbConnection> OpenAsync(CancellationToken ct)
    {
        try
        {
            return await _dataSource.OpenConnectionAsync(ct);
        }
        catch (Exception ex) when (ex is NpgsqlException or System.Net.Sockets.SocketException or TimeoutException)
        {
            throw new StoreUnavailableException($"Cannot reach PostgreSQL ({Description}): {ex.Message}", ex);
        }
    }

    public override DbConnection ApplicationConnection(DbTransaction transaction) =>
        (transaction as NpgsqlTransaction ?? throw new ArgumentException($"The PostgreSQL store needs an NpgsqlTransaction, not {transaction.GetType().Name}.", nameof(transaction)))
            .Connection ?? throw new ArgumentException("The transaction has already completed.", nameof(transaction));

    /// <summary>Null binds a typed NULL, and the SQL's <c>coalesce(@now, now())</c> takes the database's clock.</summary>
    public override void BindNow(DbCommand command, DateTimeOffset? now) => command.With("now", now?.ToUniversalTime(), DbType.DateTimeOffset);

    public override DateTimeOffset ReadTime(DbDataReader reader, int ordinal) => reader.GetFieldValue<DateTimeOffset>(ordinal);

    public override string BindTime(DbCommand command, string name, DateTimeOffset time)
    {
        command.With(name, time.ToUniversalTime(), DbType.DateTimeOffset);
        return "@" + name;
    }

    public override string HasTag(DbCommand command, string tag)
    {
        command.With("tag", tag);
        return "@tag = ANY(tags)";
    }

    // JSON containment, which the GIN-less jsonb operator evaluates row by row inside the other filters' index range.
    public override string ArgsContain(DbCommand command, string json)
    {
        command.With("args_contains", json);
        return "args @> @args_contains::jsonb";
    }

    /// <summary>
    /// job_claim.sql alone when none of the queues has a limit, job_claim_limited.sql alone when all have, else both.
    /// Which queues have limits is read at most once a second (and at once after this process changes one): a limit
    /// another process set a moment ago is never broken meanwhile, since job_claim.sql passes limited queues over; their
    /// jobs wait for the next read.
    /// </summary>
    public override async Task<string> ClaimSqlAsync(DbConnection connection, DbCommand command, IReadOnlyList<string> queues, CancellationToken ct)
    {
        command.With("queues", JsonParameters.Strings(queues));
        var limited = _limited;
        if (limited is null || Environment.TickCount64 >= limited.Until)
        {
            await using var read = connection.CreateCommand();
            read.CommandText = Sql("queue_limited");
            var names = new HashSet<string>(StringComparer.Ordinal);
            await using (var reader = await read.ExecuteReaderAsync(ct))
            {
                while (await reader.ReadAsync(ct))
                    names.Add(reader.GetString(0));
            }
            limited = new LimitedQueues(Environment.TickCount64 + 1000, names);
            _limited = limited;
        }
        // Only limited queues: job_claim.sql would pass every one of them over.
        return !queues.Any(limited.Names.Contains) ? Sql("job_claim")
            : queues.All(limited.Names.Contains) ? Sql("job_claim_limited")
            : _claimMixed ??= Sql("job_claim_limited") + "\n" + Sql("job_claim");
    }

    public override void LimitsChanged() => _limited = null;

    private volatile LimitedQueues? _limited;

    /// <summary>The queues that had a limit when last read, and until when (Environment.TickCount64) that read holds.</summary>
    private sealed record LimitedQueues(long Until, HashSet<string> Names);
    private string? _claimMixed;

    /// <summary>A session advisory lock, so that ten processes starting at once migrate once.</summary>
    public override async Task<IAsyncDisposable> MigrationLockAsync(DbConnection connection, CancellationToken ct)
    {
        var key = "conveyor-migrate:" + _schema;
        await using (var command = connection.CreateCommand())
        {
            command.CommandText = Sql("migration_lock");
            command.With("key", key);
            await command.ExecuteNonQueryAsync(ct);
        }
        return new Unlock(connection, Sql("migration_unlock"), key);
    }

    public override async ValueTask DisposeAsync()
    {
        if (_ownsDataSource)
            await _dataSource.DisposeAsync();
    }

    private sealed class Unlock(DbConnection connection, string sql, string key) : IAsyncDisposable
    {
        public async ValueTask DisposeAsync()
        {
            await using var command = connection.CreateCommand();
            command.CommandText = sql;
            command.With("key", key);
            await command.ExecuteNonQueryAsync(CancellationToken.None);
        }
    }
}
