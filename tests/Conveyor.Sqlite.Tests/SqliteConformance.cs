using System.Data.Common;
using Conveyor.Conformance;
using Conveyor.Storage;
using Conveyor.TestSupport;
using Microsoft.Data.Sqlite;

namespace Conveyor.Sqlite.Tests;

/// <summary>Real SQLite files: one file per test, opened again for "another process".</summary>
public sealed class SqliteFactory : IStoreFactory
{
    private readonly TempDirectory _dir = new("conveyor-sqlite");
    private string DatabasePath => _dir.File("jobs.db");

    public static string? SkipReason => null;

    public Task<IConveyorStore> CreateStoreAsync() => Task.FromResult<IConveyorStore>(new SqliteStore(DatabasePath));

    public Task<IConveyorStore> OpenAgainAsync() => CreateStoreAsync();

    public async Task<DbTransaction> BeginApplicationTransactionAsync()
    {
        var connection = new SqliteConnection($"Data Source={DatabasePath};Default Timeout=30");
        await connection.OpenAsync();
        return connection.BeginTransaction(deferred: false);
    }

    public ValueTask DisposeAsync()
    {
        SqliteConnection.ClearAllPools();
        _dir.Dispose();
        return ValueTask.CompletedTask;
    }
}

public sealed class SqliteJobExecution : JobExecutionConformance<SqliteFactory>;
public sealed class SqliteJobAdmin : JobAdminConformance<SqliteFactory>;
public sealed class SqliteQueueLimits : QueueLimitsConformance<SqliteFactory>;
public sealed class SqliteJobBulk : JobBulkConformance<SqliteFactory>;
public sealed class SqliteJobChangeFeed : JobChangeFeedConformance<SqliteFactory>;
public sealed class SqliteSchedules : ScheduleConformance<SqliteFactory>;
public sealed class SqliteBatches : BatchConformance<SqliteFactory>;
public sealed class SqliteDependencies : JobDependencyConformance<SqliteFactory>;
public sealed class SqliteJobMonitor : JobMonitorConformance<SqliteFactory>;
public sealed class SqliteMaintenance : MaintenanceConformance<SqliteFactory>;
public sealed class SqliteWorkerRegistry : WorkerRegistryConformance<SqliteFactory>;
public sealed class SqliteMigrator : MigratorConformance<SqliteFactory>;
public sealed class SqliteEngine : EngineConformance<SqliteFactory>;
