// Hangfire 1.8 + Hangfire.PostgreSql 1.21 drain N no-op jobs with one server: the .NET peer figure for Conveyor's
// `bench drain --store postgres`, run by `bench compare`. Hangfire has no bulk enqueue in its free edition, so the jobs
// are created by 16 concurrent clients before the clock starts; the clock covers server start to the last job's
// Succeeded state (read from Hangfire's own monitoring API).
//   DATABASE="Host=...;Database=..." JOBS=20000 CONCURRENCY=24 dotnet run -c Release
using System.Diagnostics;
using Hangfire;
using Hangfire.Common;
using Hangfire.PostgreSql;
using Hangfire.PostgreSql.Factories;
using Hangfire.States;

var connection = Environment.GetEnvironmentVariable("DATABASE") ?? throw new InvalidOperationException("Set DATABASE to an Npgsql connection string.");
var jobs = int.Parse(Environment.GetEnvironmentVariable("JOBS") ?? "20000");
var concurrency = int.Parse(Environment.GetEnvironmentVariable("CONCURRENCY") ?? "24");
var schema = "hangfire_" + Guid.NewGuid().ToString("N")[..8];

// Hangfire.PostgreSql's documented setup; a short queue poll so that an idle worker is not what is measured (the drain's
// jobs are all enqueued before the server starts, so workers fetch back to back and never wait on it).
var storage = new PostgreSqlStorage(new NpgsqlConnectionFactory(connection, new PostgreSqlStorageOptions()), new PostgreSqlStorageOptions
{
    SchemaName = schema,
    PrepareSchemaIfNecessary = true,
    QueuePollInterval = TimeSpan.FromMilliseconds(200),
});
GlobalConfiguration.Configuration
    .SetDataCompatibilityLevel(CompatibilityLevel.Version_180)
    .UseSimpleAssemblyNameTypeSerializer()
    .UseRecommendedSerializerSettings()
    .UseStorage(storage);

var client = new BackgroundJobClient(storage);
var enqueue = Stopwatch.StartNew();
var next = 0;
await Task.WhenAll(Enumerable.Range(0, 16).Select(_ => Task.Run(() =>
{
    while (Interlocked.Increment(ref next) <= jobs)
        client.Create(Job.FromExpression(() => Noop.Run()), new EnqueuedState());
})));
enqueue.Stop();

var monitoring = storage.GetMonitoringApi();
var clock = Stopwatch.StartNew();
using (var server = new BackgroundJobServer(new BackgroundJobServerOptions { WorkerCount = concurrency, Queues = ["default"] }, storage))
{
    while (monitoring.SucceededListCount() < jobs)
    {
        if (clock.Elapsed > TimeSpan.FromMinutes(5))
            throw new TimeoutException($"Only {monitoring.SucceededListCount()} of {jobs} jobs succeeded in 5 minutes.");
        await Task.Delay(10);
    }
    clock.Stop();
}
Console.WriteLine($"drain hangfire: {jobs} jobs in {clock.Elapsed.TotalSeconds:0.000} s = {jobs / clock.Elapsed.TotalSeconds:0} jobs/s (enqueue {jobs / enqueue.Elapsed.TotalSeconds:0} jobs/s; concurrency {concurrency})");

public static class Noop
{
    public static int Runs;

    public static void Run() => Interlocked.Increment(ref Runs);
}
