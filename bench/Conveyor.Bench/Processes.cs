using System.Text.Json;
using Conveyor.Storage;
using Conveyor.Testing;
using Conveyor.TestSupport;
using Npgsql;

namespace Conveyor.Bench;

/// <summary>
/// Does a second worker process on the same server add throughput? For each process count in --processes (default
/// 1,2), a fresh schema gets --jobs no-op jobs (the CLI's demo.noop), then that many `conveyor drain` processes with
/// --concurrency slots each start together and run until none is ready. The rate is measured by the database: jobs over
/// the time from the first start to the last finish, so that process start-up (the JIT's, the migration check) is not
/// in it. PostgreSQL only.
/// </summary>
internal static class Processes
{
    public static async Task RunAsync(BenchSettings settings)
    {
        if (settings.Store != "postgres")
            throw new ArgumentException("The processes scenario needs --store postgres (SQLite has one writer).");
        var results = new List<(int Processes, double Rate)>();
        foreach (var count in settings.ProcessCounts)
        {
            await using var bench = await BenchStores.CreateAsync(settings.Store);
            var (store, database, schema) = bench;
            await store.MigrateAsync(default);
            await using (var client = new ConveyorTestHost(store, o => o.RunWorkers = false))
            {
                for (var fed = 0; fed < settings.Jobs; fed += 20_000)
                    await client.Client.EnqueueManyAsync([.. Enumerable.Range(0, Math.Min(20_000, settings.Jobs - fed)).Select(_ => new JobRequest("demo.noop", "{}"))]);
            }
            var workers = Enumerable.Range(0, count).Select(_ => ChildProcess.Cli(["drain", "--database", database, "--schema", schema!,
                "--concurrency", settings.Concurrency.ToString(System.Globalization.CultureInfo.InvariantCulture), "--json"])).ToList();
            try
            {
                foreach (var worker in workers)
                {
                    var code = await worker.WaitForExitAsync(TimeSpan.FromMinutes(5));
                    if (code != 0)
                        throw new InvalidOperationException($"conveyor drain exited {code}:\n{worker.Output}");
                }
            }
            finally
            {
                foreach (var worker in workers)
                    await worker.DisposeAsync();
            }
            await using var connection = new NpgsqlConnection(database);
            await connection.OpenAsync();
            await using var command = new NpgsqlCommand(
                $"SELECT count(*) FILTER (WHERE state = 'completed'), extract(epoch FROM max(finished_at) - min(started_at))::float8 FROM {schema}.jobs", connection);
            await using var reader = await command.ExecuteReaderAsync();
            await reader.ReadAsync();
            var (completed, seconds) = (reader.GetInt64(0), reader.GetDouble(1));
            if (completed != settings.Jobs)
                throw new InvalidOperationException($"Expected {settings.Jobs} completed jobs, found {completed}.");
            results.Add((count, settings.Jobs / seconds));
            Console.WriteLine($"processes {settings.Store}: {settings.Jobs} jobs, {count} x `conveyor drain --concurrency {settings.Concurrency}`: " +
                $"{seconds:0.000} s from the first start to the last finish = {settings.Jobs / seconds:0} jobs/s");
        }
        Console.WriteLine(JsonSerializer.Serialize(new
        {
            scenario = "processes", store = settings.Store, jobs = settings.Jobs, concurrency = settings.Concurrency,
            results = results.Select(r => new { processes = r.Processes, jobs_per_second = Math.Round(r.Rate), against_one = Math.Round(r.Rate / results[0].Rate, 2) }),
        }));
    }
}
