using Conveyor.Sqlite;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Conveyor;

/// <summary>Selects the SQLite store.</summary>
public static class SqliteConveyorOptionsExtensions
{
    /// <summary>Uses a SQLite file: a path (<c>./conveyor.db</c>) or a connection string (<c>Data Source=jobs.db</c>).</summary>
    public static ConveyorOptions UseSqlite(this ConveyorOptions options, string database)
    {
        SqliteStore.ParseConnectionString(database);
        return options.UseStore(sp => new SqliteStore(database, sp.GetService<TimeProvider>(), sp.GetService<ILoggerFactory>()));
    }
}
