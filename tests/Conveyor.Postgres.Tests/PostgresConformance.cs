using System.Data.Common;
using Conveyor.Conformance;
using Conveyor.Storage;
using Conveyor.TestSupport;
using Npgsql;

namespace Conveyor.Postgres.Tests;

/// <summary>Each test gets its own schema on the shared throwaway server.</summary>
internal static class PostgresTestSchemas
{
    public static string NewSchema() => "t_" + Guid.NewGuid().ToString("N")[..12];

    public static async Task<PostgresStore> CreateStoreAsync(string schema)
    {
        var server = await PostgresServer.GetAsync();
        return new PostgresStore(server.ConnectionString, new PostgresStoreOptions { Schema = schema });
    }
}

/// <summary>A real PostgreSQL 15 server: one schema per test, opened again for "another process".</summary>
public sealed class PostgresFactory : IStoreFactory
{
    private readonly string _schema = PostgresTestSchemas.NewSchema();

    public static string? SkipReason => PostgresServer.UnavailableReason;

    public async Task<IConveyorStore> CreateStoreAsync() => await PostgresTestSchemas.CreateStoreAsync(_schema);

    public Task<IConveyorStore> OpenAgainAsync() => CreateStoreAsync();

    public async Task<DbTransaction> BeginApplicationTransactionAsync()
    {
        var server = await PostgresServer.GetAsync();
        var connection = new NpgsqlConnection(server.ConnectionString);
        await connection.OpenAsync();
        return await connection.BeginTransactionAsync();
    }

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}

public sealed class PostgresJobExecution : JobExecutionConformance<PostgresFactory>;
public sealed class PostgresJobAdmin : JobAdminConformance<PostgresFactory>;
public sealed class PostgresQueueLimits : QueueLimitsConformance<PostgresFactory>;
public sealed class PostgresJobBulk : JobBulkConformance<PostgresFactory>;
public sealed class PostgresJobChangeFeed : JobChangeFeedConformance<PostgresFactory>;
public sealed class PostgresSchedules : ScheduleConformance<PostgresFactory>;
public sealed class PostgresBatches : BatchConformance<PostgresFactory>;
public sealed class PostgresDependencies : JobDependencyConformance<PostgresFactory>;
public sealed class PostgresJobMonitor : JobMonitorConformance<PostgresFactory>;
public sealed class PostgresMaintenance : MaintenanceConformance<PostgresFactory>;
public sealed class PostgresWorkerRegistry : WorkerRegistryConformance<PostgresFactory>;
public sealed class PostgresMigrator : MigratorConformance<PostgresFactory>;
public sealed class PostgresEngine : EngineConformance<PostgresFactory>;
