using System.Data.Common;
using Conveyor.Sqlite;
using Conveyor.Storage;
using Conveyor.Testing;
using Conveyor.TestSupport;
using Microsoft.Data.Sqlite;

namespace Conveyor.Sqlite.Tests;

/// <summary>The store-conformance suite on a real SQLite file, one file per test.</summary>
public sealed class SqliteStoreConformance : StoreConformanceTests, IDisposable
{
    private readonly TempDirectory _dir = new("conveyor-sqlite");
    private string DatabasePath => _dir.File("jobs.db");

    protected override Task<IConveyorStore> CreateStoreAsync() => Task.FromResult<IConveyorStore>(new SqliteStore(DatabasePath));

    protected override async Task<DbTransaction> BeginApplicationTransactionAsync()
    {
        var connection = new SqliteConnection($"Data Source={DatabasePath};Default Timeout=30");
        await connection.OpenAsync();
        return connection.BeginTransaction(deferred: false);
    }

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        _dir.Dispose();
    }
}

/// <summary>The engine suite on a real SQLite file.</summary>
public sealed class SqliteEngineConformance : EngineConformanceTests, IDisposable
{
    private readonly TempDirectory _dir = new("conveyor-sqlite");

    protected override Task<IConveyorStore> CreateStoreAsync() => Task.FromResult<IConveyorStore>(new SqliteStore(_dir.File("jobs.db")));

    protected override Task<IConveyorStore> OpenAgainAsync() => CreateStoreAsync();

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        _dir.Dispose();
    }
}
