namespace Conveyor.Cli;

/// <summary>Picks the store from the --database value: a PostgreSQL URL or key-value string, else a SQLite file.</summary>
internal static class StoreSelection
{
    public static bool IsPostgres(string database)
    {
        var d = database.Trim();
        return d.StartsWith("postgres://", StringComparison.OrdinalIgnoreCase)
            || d.StartsWith("postgresql://", StringComparison.OrdinalIgnoreCase)
            || d.Contains("Host=", StringComparison.OrdinalIgnoreCase)
            || d.Contains("Server=", StringComparison.OrdinalIgnoreCase);
    }

    /// <param name="listen">PostgreSQL only: false for poll-only mode behind a transaction-mode pooler.</param>
    public static ConveyorOptions UseDatabase(this ConveyorOptions options, string database, bool listen = true, string? schema = null) =>
        IsPostgres(database)
            ? options.UsePostgres(database, p =>
            {
                p.Listen = listen;
                if (schema is not null)
                    p.Schema = schema;
            })
            : options.UseSqlite(database);
}
