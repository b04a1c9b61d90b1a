using System.Data.Common;

namespace Conveyor.Storage.Relational;

/// <summary>
/// What truly differs between two SQL databases behind <see cref="SqlStore"/>: connections and their set-up, write
/// locking, how "now" and a claim's queue list are bound, migrations' locking, and the notifier. Everything else —
/// commands, parameters, row reading, state rules — is written once in <see cref="SqlStore"/> and the SQL files.
/// </summary>
internal abstract class SqlDialect : IAsyncDisposable
{
    private readonly EmbeddedSql _files;
    private readonly string _migrationsPrefix;
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, string> _sql = new(StringComparer.Ordinal);

    /// <param name="resourcePrefix">The store assembly's root namespace: its files are embedded as <c>{prefix}.Sql.*</c> and <c>{prefix}.Migrations.*</c>.</param>
    protected SqlDialect(string resourcePrefix)
    {
        _files = new EmbeddedSql(GetType().Assembly, resourcePrefix + ".Sql.");
        _migrationsPrefix = resourcePrefix + ".Migrations.";
    }

    /// <summary>For banners and logs; never a password.</summary>
    public abstract string Description { get; }

    public abstract LocalNotifier Notifier { get; }

    /// <summary>The text of the dialect's <c>Sql/{name}.sql</c>, as <see cref="Rewrite"/> makes it.</summary>
    public string Sql(string name) => _sql.GetOrAdd(name, n => Rewrite(_files[n]));

    /// <summary>Embedded migrations (<c>Migrations/NNNN_name.sql</c>), oldest first: (version, name, SQL).</summary>
    public IReadOnlyList<(int Version, string Name, string Text)> Migrations() =>
        [.. _files.All(_migrationsPrefix).Select(m => (int.Parse(m.Name[..4], System.Globalization.CultureInfo.InvariantCulture), m.Name, Rewrite(m.Text)))];

    /// <summary>What a dialect changes in its files at load (PostgreSQL: the configured schema name).</summary>
    protected virtual string Rewrite(string sql) => sql;

    /// <summary>An open connection; throws <see cref="StoreUnavailableException"/> when the database cannot be reached.</summary>
    public abstract Task<DbConnection> OpenAsync(CancellationToken ct);

    /// <summary>Serialises this process's writers where the database has a single writer (SQLite); null elsewhere.</summary>
    public virtual ValueTask<IDisposable?> EnterWriteAsync(CancellationToken ct) => ValueTask.FromResult<IDisposable?>(null);

    /// <summary>
    /// The transaction a read-then-write statement needs (SQLite: BEGIN IMMEDIATE, so the write lock is taken before
    /// the read); null where one statement is atomic on its own (PostgreSQL: no extra round trips on the hot path).
    /// </summary>
    public virtual Task<DbTransaction?> BeginWriteAsync(DbConnection connection, CancellationToken ct) => Task.FromResult<DbTransaction?>(null);

    /// <summary>The application's connection behind its transaction, checked to be this database's kind.</summary>
    public abstract DbConnection ApplicationConnection(DbTransaction transaction);

    /// <summary>Binds <c>@now</c>: the given time, or (null) whatever makes the SQL use the store's own clock.</summary>
    public abstract void BindNow(DbCommand command, DateTimeOffset? now);

    /// <summary>Reads a time column.</summary>
    public abstract DateTimeOffset ReadTime(DbDataReader reader, int ordinal);

    /// <summary>Binds a time as the database compares it with its time columns; returns the parameter's reference.</summary>
    public abstract string BindTime(DbCommand command, string name, DateTimeOffset time);

    /// <summary>A condition: the job carries <paramref name="tag"/>.</summary>
    public abstract string HasTag(DbCommand command, string tag);

    /// <summary>A condition: the job's args contain the JSON object <paramref name="json"/> (validated by the caller).</summary>
    public abstract string ArgsContain(DbCommand command, string json);

    /// <summary>Binds the claim's queues and returns the claim statement for them (it may read on <paramref name="connection"/> to choose).</summary>
    public abstract Task<string> ClaimSqlAsync(DbConnection connection, DbCommand command, IReadOnlyList<string> queues, CancellationToken ct);

    /// <summary>Binds job_heartbeat.sql's leases (by default one JSON array, <c>@leases</c>).</summary>
    public virtual void BindLeases(DbCommand command, IReadOnlyList<JobLease> leases) =>
        command.With("leases", JsonParameters.Leases(leases));

    /// <summary>Binds job_apply_outcomes.sql's outcomes (by default one JSON array, <c>@outcomes</c>).</summary>
    public virtual void BindOutcomes(DbCommand command, IReadOnlyList<AttemptOutcome> outcomes) =>
        command.With("outcomes", JsonParameters.Outcomes(outcomes));

    /// <summary>
    /// Inserts plain jobs (ready now, no unique key, no dependencies: <see cref="SqlStore"/> checks) by the database's
    /// bulk path, in <paramref name="transaction"/> when there is one, and returns their ids in request order; null
    /// when the dialect has no such path and job_insert_many.sql inserts them.
    /// </summary>
    public virtual Task<long[]?> BulkInsertAsync(DbConnection connection, DbTransaction? transaction, IReadOnlyList<JobInsertRow> jobs,
        DateTimeOffset? now, CancellationToken ct) => Task.FromResult<long[]?>(null);

    /// <summary>A queue's limits changed in this process: what the dialect remembers of them is stale.</summary>
    public virtual void LimitsChanged()
    {
    }

    /// <summary>Held while migrating, so that processes starting together migrate once.</summary>
    public abstract Task<IAsyncDisposable> MigrationLockAsync(DbConnection connection, CancellationToken ct);

    public virtual ValueTask DisposeAsync() => ValueTask.CompletedTask;
}
