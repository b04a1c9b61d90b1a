using Microsoft.Data.Sqlite;

namespace Conveyor.Sqlite.Tests;

/// <summary>Plain SQL against a test's SQLite file, beside the store (side tables, checks).</summary>
internal static class SqliteTestDb
{
    public static async Task ExecuteAsync(string path, string sql) => await RunAsync(path, sql, c => c.ExecuteNonQueryAsync());

    public static Task<object?> ScalarAsync(string path, string sql) => RunAsync(path, sql, c => c.ExecuteScalarAsync());

    private static async Task<T> RunAsync<T>(string path, string sql, Func<SqliteCommand, Task<T>> run)
    {
        await using var connection = new SqliteConnection($"Data Source={path};Default Timeout=30");
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        return await run(command);
    }
}
