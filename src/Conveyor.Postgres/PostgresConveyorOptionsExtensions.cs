using Conveyor.Postgres;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace Conveyor;

/// <summary>Selects the PostgreSQL store.</summary>
public static class PostgresConveyorOptionsExtensions
{
    /// <summary>Uses PostgreSQL: a <c>postgres://</c> URL or an Npgsql key-value connection string.</summary>
    public static ConveyorOptions UsePostgres(this ConveyorOptions options, string connectionString, Action<PostgresStoreOptions>? configure = null)
    {
        var storeOptions = new PostgresStoreOptions();
        configure?.Invoke(storeOptions);
        PostgresConnectionString.Parse(connectionString);
        return options.UseStore(sp => new PostgresStore(connectionString, storeOptions, sp.GetService<ILoggerFactory>()));
    }

    /// <summary>Uses PostgreSQL through the application's own data source (its pooling and settings).</summary>
    public static ConveyorOptions UsePostgres(this ConveyorOptions options, NpgsqlDataSource dataSource, Action<PostgresStoreOptions>? configure = null)
    {
        var storeOptions = new PostgresStoreOptions();
        configure?.Invoke(storeOptions);
        return options.UseStore(sp => new PostgresStore(dataSource, storeOptions, sp.GetService<ILoggerFactory>()));
    }
}
