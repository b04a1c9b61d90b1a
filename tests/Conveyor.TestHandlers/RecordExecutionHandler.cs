using System.Data.Common;
using Microsoft.Data.Sqlite;
using Npgsql;

namespace Conveyor.TestHandlers;

/// <param name="SleepMs">How long the job takes.</param>
public sealed record RecordArgs(int SleepMs = 0);

/// <summary>
/// <c>test.record</c>: records (job id, attempt, worker) in the side table <c>test_executions</c> of the database
/// named by CONVEYOR_TEST_SIDE_DATABASE, so that a test can count how often each job really ran.
/// </summary>
[JobKind("test.record")]
public sealed class RecordExecutionHandler : IJobHandler<RecordArgs>
{
    public async Task<JobResult> HandleAsync(JobContext<RecordArgs> job, CancellationToken ct)
    {
        if (job.Args.SleepMs > 0)
            await Task.Delay(job.Args.SleepMs, ct);
        var database = Environment.GetEnvironmentVariable("CONVEYOR_TEST_SIDE_DATABASE")
            ?? throw new InvalidOperationException("CONVEYOR_TEST_SIDE_DATABASE is not set.");
        await using var connection = Open(database);
        await connection.OpenAsync(ct);
        await using var command = connection.CreateCommand();
        command.CommandText = "INSERT INTO test_executions (job_id, attempt, worker_id) VALUES (@id, @attempt, @worker)";
        Add(command, "@id", job.JobId);
        Add(command, "@attempt", job.Attempt);
        Add(command, "@worker", job.WorkerId);
        await command.ExecuteNonQueryAsync(ct);
        return JobResult.Completed();
    }

    private static DbConnection Open(string database) =>
        database.StartsWith("postgres", StringComparison.OrdinalIgnoreCase) || database.Contains("Host=", StringComparison.OrdinalIgnoreCase)
            ? new NpgsqlConnection(database)
            : new SqliteConnection(database.Contains('=') ? database : $"Data Source={database};Default Timeout=30");

    private static void Add(DbCommand command, string name, object value)
    {
        var parameter = command.CreateParameter();
        parameter.ParameterName = name;
        parameter.Value = value;
        command.Parameters.Add(parameter);
    }
}
