using System.Data.Common;
using Conveyor.Postgres;
using Conveyor.Storage;
using Conveyor.Testing;
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

public sealed class PostgresStoreConformance : StoreConformanceTests
{
    private readonly string _schema = PostgresTestSchemas.NewSchema();

    public static string? SkipReason => PostgresServer.UnavailableReason;

    protected override async Task<IConveyorStore> CreateStoreAsync() => await PostgresTestSchemas.CreateStoreAsync(_schema);

    protected override async Task<DbTransaction> BeginApplicationTransactionAsync()
    {
        var server = await PostgresServer.GetAsync();
        var connection = new NpgsqlConnection(server.ConnectionString);
        await connection.OpenAsync();
        return await connection.BeginTransactionAsync();
    }
}

public sealed class PostgresEngineConformance : EngineConformanceTests
{
    private readonly string _schema = PostgresTestSchemas.NewSchema();

    public static string? SkipReason => PostgresServer.UnavailableReason;

    protected override async Task<IConveyorStore> CreateStoreAsync() => await PostgresTestSchemas.CreateStoreAsync(_schema);

    protected override Task<IConveyorStore> OpenAgainAsync() => CreateStoreAsync();
}
