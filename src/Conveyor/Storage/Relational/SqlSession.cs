using System.Data;
using System.Data.Common;

namespace Conveyor.Storage.Relational;

/// <summary>
/// One unit of work on one connection: for writes, this process's write turn (SQLite) and the transaction the
/// dialect asks for; or the application's own transaction, which it commits itself.
/// </summary>
internal sealed class SqlSession : IAsyncDisposable
{
    private readonly IDisposable? _writeTurn;
    private readonly bool _ownsConnection;

    private SqlSession(DbConnection connection, DbTransaction? transaction, IDisposable? writeTurn, bool ownsConnection)
    {
        Connection = connection;
        Transaction = transaction;
        _writeTurn = writeTurn;
        _ownsConnection = ownsConnection;
    }

    public DbConnection Connection { get; }
    public DbTransaction? Transaction { get; }

    public static async Task<SqlSession> ReadAsync(SqlDialect dialect, CancellationToken ct) =>
        new(await dialect.OpenAsync(ct), null, null, ownsConnection: true);

    /// <summary>
    /// A write turn. <paramref name="atomic"/>: several statements that must commit together (a store whose single
    /// statements run without an explicit transaction, PostgreSQL, then opens one).
    /// </summary>
    public static async Task<SqlSession> WriteAsync(SqlDialect dialect, CancellationToken ct, bool atomic = false)
    {
        var turn = await dialect.EnterWriteAsync(ct);
        DbConnection? connection = null;
        try
        {
            connection = await dialect.OpenAsync(ct);
            var transaction = await dialect.BeginWriteAsync(connection, ct);
            if (transaction is null && atomic)
                transaction = await connection.BeginTransactionAsync(ct);
            return new SqlSession(connection, transaction, turn, ownsConnection: true);
        }
        catch
        {
            if (connection is not null)
                await connection.DisposeAsync();
            turn?.Dispose();
            throw;
        }
    }

    /// <summary>Works inside the application's transaction: nothing is committed or closed here.</summary>
    public static SqlSession Borrow(DbConnection connection, DbTransaction transaction) => new(connection, transaction, null, ownsConnection: false);

    public DbCommand Command(string sql)
    {
        var command = Connection.CreateCommand();
        command.CommandText = sql;
        command.Transaction = Transaction;
        return command;
    }

    public async Task CommitAsync(CancellationToken ct)
    {
        if (_ownsConnection && Transaction is not null)
            await Transaction.CommitAsync(ct);
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            if (_ownsConnection)
            {
                if (Transaction is not null)
                    await Transaction.DisposeAsync();
                await Connection.DisposeAsync();
            }
        }
        finally
        {
            _writeTurn?.Dispose();
        }
    }
}

/// <summary>Typed parameters, named as in the SQL files (<c>@name</c>).</summary>
internal static class SqlParameters
{
    public static DbCommand With(this DbCommand command, string name, object? value, DbType type)
    {
        var parameter = command.CreateParameter();
        parameter.ParameterName = "@" + name;
        parameter.DbType = type;
        parameter.Value = value ?? DBNull.Value;
        command.Parameters.Add(parameter);
        return command;
    }

    public static DbCommand With(this DbCommand command, string name, string? value) => command.With(name, value, DbType.String);
    public static DbCommand With(this DbCommand command, string name, long? value) => command.With(name, value, DbType.Int64);
    public static DbCommand With(this DbCommand command, string name, int? value) => command.With(name, value, DbType.Int32);
    public static DbCommand WithSeconds(this DbCommand command, string name, TimeSpan value) => command.With(name, value.TotalSeconds, DbType.Double);
}
