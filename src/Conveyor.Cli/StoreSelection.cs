namespace Conveyor.Cli;

/// <summary>Picks the store from the --database value: a PostgreSQL URL or key-value string, else a SQLite file.</summary>
public static class StoreSelection
{
    public static bool IsPostgres(string database)
    {
        var d = database.Trim();
        return d.StartsWith("postgres://", StringComparison.OrdinalIgnoreCase)
            || d.StartsWith("postgresql://", StringComparison.OrdinalIgnoreCase)
            || d.Contains("Host=", StringComparison.OrdinalIgnoreCase)
            || d.Contains("Server=", StringComparison.OrdinalIgnoreCase);
    }

    public static ConveyorOptions UseDatabase(this ConveyorOptions options, string database) =>
        IsPostgres(database) ? throw new JobValidationException("PostgreSQL support is not built yet.") : options.UseSqlite(database);
}
