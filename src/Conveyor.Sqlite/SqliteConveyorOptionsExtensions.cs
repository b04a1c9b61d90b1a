using Conveyor.Sqlite;

namespace Conveyor;

public static class SqliteConveyorOptionsExtensions
{
    /// <summary>Uses a SQLite file: a path (<c>./conveyor.db</c>) or a connection string (<c>Data Source=jobs.db</c>).</summary>
    public static ConveyorOptions UseSqlite(this ConveyorOptions options, string database)
    {
        var store = new SqliteStore(database);
        return options.UseStore(_ => store);
    }
}
