using System.Diagnostics;
using Conveyor;
using Conveyor.Bench;
using Conveyor.Postgres;
using Conveyor.Sqlite;
using Conveyor.Storage;
using Conveyor.Testing;
using Conveyor.TestSupport;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

// Conveyor's benchmark harness. Examples:
//   dotnet run -c Release --project bench/Conveyor.Bench -- drain   --store sqlite   --jobs 20000 --concurrency 32
//   dotnet run -c Release --project bench/Conveyor.Bench -- drain   --store postgres --jobs 20000 --concurrency 32
//   dotnet run -c Release --project bench/Conveyor.Bench -- sleepy  --store postgres --jobs 20000 --concurrency 1000 --sleep-ms 50
//   dotnet run -c Release --project bench/Conveyor.Bench -- memory  --store postgres --jobs 1000000 --concurrency 100
//   dotnet run -c Release --project bench/Conveyor.Bench -- processes --store postgres --jobs 100000 --concurrency 24 --processes 1,2
//   dotnet run -c Release --project bench/Conveyor.Bench -- latency --store postgres --samples 200
//   dotnet run -c Release --project bench/Conveyor.Bench -- dashboard --store sqlite --jobs 1000000 --clients 1000 --runs 1
//   dotnet run -c Release --project bench/Conveyor.Bench -- compare --concurrency 8,24,64 --rounds 3 --svg bench/compare.svg
// PostgreSQL: CONVEYOR_BENCH_POSTGRES=<connection string>, else a throwaway local server (as the tests start one).
if (args.Length > 0 && args[0] == "compare")
{
    await Compare.RunAsync(args);
    return;
}
var settings = BenchSettings.Parse(args);
using var allocations = settings.AllocationProfile ? new AllocationProfile() : null;
Console.WriteLine($"conveyor bench: {settings}  (machine: {Environment.ProcessorCount} cores, .NET {Environment.Version})");
if (settings.Mode == "processes")
{
    for (var run = 1; run <= settings.Runs; run++)
        await Processes.RunAsync(settings);
    return;
}
for (var run = 1; run <= settings.Runs; run++)
{
    await using var bench = await BenchStores.CreateAsync(settings.Store);
    var (store, database, schema) = bench;
    await store.MigrateAsync(default);
    if (settings.Mode == "latency" && settings.CrossProcess)
        await Latency.RunCrossProcessAsync(store, database, schema, settings);
    else if (settings.Mode == "latency")
        await Latency.RunAsync(store, settings);
    else if (settings.Mode == "dashboard")
        await DashboardScale.RunAsync(store, database, schema, settings);
    else if (settings.Mode == "memory")
        await Memory.RunAsync(store, settings);
    else
        await Drain.RunAsync(store, settings);
    if (run == 1)
        allocations?.Reset();
}
allocations?.Print();

namespace Conveyor.Bench
{
    internal sealed record BenchSettings(string Mode, string Store, int Jobs, int Concurrency, int Samples, int Runs, bool Trace, bool CrossProcess, int Clients)
    {
        /// <summary>A concurrency limit set on the drained queue (--limit), or null.</summary>
        public int? Limit { get; init; }

        /// <summary>--alloc-profile: print what the runs allocated, by type (<see cref="Bench.AllocationProfile"/>).</summary>
        public bool AllocationProfile { get; init; }

        /// <summary>How long each job of the sleepy scenario sleeps (--sleep-ms, default 50).</summary>
        public int SleepMs { get; init; } = 50;

        /// <summary>The worker process counts the processes scenario compares (--processes, default 1,2).</summary>
        public int[] ProcessCounts { get; init; } = [1, 2];

        /// <summary>ConveyorOptions.ClaimAhead for the drains (--claim-ahead), or null for its default.</summary>
        public int? ClaimAhead { get; init; }

        public static BenchSettings Parse(string[] args)
        {
            string Value(string name, string fallback)
            {
                var i = Array.IndexOf(args, name);
                return i >= 0 && i + 1 < args.Length ? args[i + 1] : fallback;
            }
            var mode = args.Length > 0 && !args[0].StartsWith("--", StringComparison.Ordinal) ? args[0] : "drain";
            if (mode is not ("drain" or "sleepy" or "memory" or "processes" or "latency" or "dashboard"))
                throw new ArgumentException($"Unknown mode '{mode}': use drain, sleepy, memory, processes, latency or dashboard.");
            var store = Value("--store", "sqlite");
            if (store is not ("sqlite" or "postgres"))
                throw new ArgumentException($"Unknown store '{store}': use sqlite or postgres.");
            return new BenchSettings(mode, store, int.Parse(Value("--jobs", "20000")), int.Parse(Value("--concurrency", "32")),
                int.Parse(Value("--samples", "200")), int.Parse(Value("--runs", "3")), args.Contains("--trace"), args.Contains("--cross-process"), int.Parse(Value("--clients", "1000")))
            {
                Limit = Value("--limit", "") is { Length: > 0 } limit ? int.Parse(limit) : null,
                SleepMs = int.Parse(Value("--sleep-ms", "50")),
                ProcessCounts = [.. Value("--processes", "1,2").Split(',').Select(int.Parse)],
                ClaimAhead = Value("--claim-ahead", "") is { Length: > 0 } ahead ? int.Parse(ahead) : null,
                AllocationProfile = args.Contains("--alloc-profile"),
            };
        }

        public override string ToString() => Mode == "dashboard"
            ? $"dashboard store={Store} jobs={Jobs} clients={Clients} runs={Runs}"
            : Mode == "latency"
            ? $"latency store={Store} samples={Samples} runs={Runs}{(CrossProcess ? " cross-process" : "")}"
            : $"{Mode} store={Store} jobs={Jobs} concurrency={Concurrency} runs={Runs}{(Mode == "sleepy" ? $" sleep={SleepMs}ms" : "")}{(Limit is { } l ? $" queue-limit={l}" : "")}";
    }

    internal static class BenchStores
    {
        /// <returns>The store, its --database value, and its PostgreSQL schema (null for SQLite); disposing it removes
        /// what the run made (a run's schema in a database of yours, the SQLite file's folder).</returns>
        public static async Task<BenchStore> CreateAsync(string store)
        {
            if (store == "sqlite")
            {
                var path = Path.Combine(Path.GetTempPath(), $"conveyor-bench-{Guid.NewGuid():N}", "bench.db");
                return new BenchStore(new SqliteStore(path), path, null);
            }
            var connection = Environment.GetEnvironmentVariable("CONVEYOR_BENCH_POSTGRES")
                ?? await (await PostgresServer.GetAsync()).CreateDatabaseAsync("bench");
            var schema = "b_" + Guid.NewGuid().ToString("N")[..10];
            return new BenchStore(new PostgresStore(connection, new PostgresStoreOptions { Schema = schema }), connection, schema);
        }
    }

    /// <summary>One run's store. Dropping the schema matters with CONVEYOR_BENCH_POSTGRES: a thousand runs left behind had
    /// filled 15 GB of the bench database (and the disk under it).</summary>
    internal sealed record BenchStore(IConveyorStore Store, string Database, string? Schema) : IAsyncDisposable
    {
        public async ValueTask DisposeAsync()
        {
            await Store.DisposeAsync();
            if (Schema is null)
            {
                var folder = Path.GetDirectoryName(Database)!;
                if (Directory.Exists(folder))
                    Directory.Delete(folder, recursive: true);
                return;
            }
            await using var connection = new NpgsqlConnection(Database);
            await connection.OpenAsync();
            await using var command = new NpgsqlCommand($"DROP SCHEMA IF EXISTS \"{Schema}\" CASCADE", connection);
            await command.ExecuteNonQueryAsync();
        }
    }

    /// <summary>Counts handler runs and signals when the expected number has run.</summary>
    internal sealed class RunCounter
    {
        private int _count;
        public int Target { get; set; }
        public int Count => Volatile.Read(ref _count);
        public TaskCompletionSource Done { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
        /// <summary>Each job's start time, for the latency scenario only (the drains' handlers only count, as graphile-worker's do).</summary>
        public ConcurrentStarts? Starts { get; init; }

        public void Ran()
        {
            if (Interlocked.Increment(ref _count) == Target)
                Done.TrySetResult();
        }
    }

    internal sealed class ConcurrentStarts
    {
        private readonly System.Collections.Concurrent.ConcurrentDictionary<long, long> _started = new();
        private readonly System.Threading.Channels.Channel<long> _starts = System.Threading.Channels.Channel.CreateUnbounded<long>();

        public void Record(long jobId)
        {
            _started[jobId] = Stopwatch.GetTimestamp();
            _starts.Writer.TryWrite(jobId);
        }

        /// <summary>Waits (without spinning, which would steal a core from the worker and the database) until the job starts.</summary>
        public async Task<long> WaitForAsync(long jobId, CancellationToken ct)
        {
            while (!_started.ContainsKey(jobId))
                await _starts.Reader.ReadAsync(ct);
            return _started[jobId];
        }
    }

    public sealed record NoopArgs;

    internal sealed class NoopHandler(RunCounter counter) : IJobHandler<NoopArgs>
    {
        private static readonly Task<JobResult> Done = Task.FromResult(JobResult.Completed());

        public Task<JobResult> HandleAsync(JobContext<NoopArgs> job, CancellationToken ct)
        {
            counter.Starts?.Record(job.JobId);
            counter.Ran();
            return Done;
        }
    }

    /// <summary>Bulk-enqueue N no-op jobs, then time one process draining them (until every outcome is written).</summary>
    internal static class Drain
    {
        public static async Task RunAsync(IConveyorStore store, BenchSettings settings)
        {
            // --limit N: the queue gets a concurrency limit, to measure what a limit costs the claim. A limit never binds
            // only when N is above everything the worker leases at once: its slots, its claim-ahead buffer (up to 1,500)
            // and the ended jobs whose outcomes are not yet written (up to two batches of 1,000); --limit 5000 at 24 slots.
            if (settings.Limit is { } limit)
                await store.QueueLimitsAsync(new QueueLimitsParams("default", new QueueLimits(Concurrency: limit)), default);

            var counter = new RunCounter { Target = settings.Jobs };
            var timing = settings.Trace ? new TimingStore(store) : null;
            await using var host = new ConveyorTestHost(timing ?? store, o =>
            {
                o.Concurrency = settings.Concurrency;
                if (settings.ClaimAhead is { } ahead)
                    o.ClaimAhead = ahead;
                if (settings.Mode == "sleepy")
                    o.AddHandler<NoopArgs, SleepHandler>("bench.noop");
                else
                    o.AddHandler<NoopArgs, NoopHandler>("bench.noop");
            }, s => s.AddSingleton(counter).AddSingleton(settings));
            // One EnqueueManyAsync call of every job, before the workers start (the bulk enqueue figure; graphile-worker's is one
            // addJobs call). Connections and JIT are warmed first by a job in a queue the drain does not serve.
            await host.Client.EnqueueManyAsync([new JobRequest("bench.noop", "{}", new EnqueueOptions { Queue = "warm-up" })]);
            var requests = Enumerable.Range(0, settings.Jobs).Select(_ => new JobRequest("bench.noop", "{}")).ToList();
            var enqueue = Stopwatch.StartNew();
            await host.Client.EnqueueManyAsync(requests);
            var enqueueTime = enqueue.Elapsed;
            GC.Collect();
            var allocatedBefore = GC.GetTotalAllocatedBytes(precise: true);
            var clock = Stopwatch.StartNew();
            await host.StartAsync();
            await counter.Done.Task.WaitAsync(TimeSpan.FromMinutes(3));
            await host.StopAsync(); // flushes the completer: every outcome is in the store
            clock.Stop();
            var allocated = GC.GetTotalAllocatedBytes(precise: true) - allocatedBefore;

            // Counted, not listed: reading 20,000 whole jobs back took a tenth of the worker's CPU samples, which compare's
            // CPU a job would charge to Conveyor (graphile-worker's check is a count too).
            var completed = await store.JobCountAsync(new JobListParams(JobState.Completed), default);
            if (completed != settings.Jobs)
                throw new InvalidOperationException($"Expected {settings.Jobs} completed jobs, found {completed}.");
            Process.GetCurrentProcess().Refresh();
            // The sleepy scenario's ceiling is the slots': concurrency jobs every sleep.
            if (settings.Mode == "sleepy")
            {
                var ceiling = settings.Concurrency * 1000.0 / settings.SleepMs;
                var rate = settings.Jobs / clock.Elapsed.TotalSeconds;
                Console.WriteLine($"sleepy {settings.Store}: {settings.Jobs} jobs of {settings.SleepMs} ms with {settings.Concurrency} slots in " +
                    $"{clock.Elapsed.TotalSeconds:0.000} s = {rate:0} jobs/s = {rate / ceiling:P0} of the slots' ceiling ({ceiling:0} jobs/s); " +
                    $"peak working set {Process.GetCurrentProcess().PeakWorkingSet64 / 1048576} MiB");
                Console.WriteLine(System.Text.Json.JsonSerializer.Serialize(new { scenario = "sleepy", store = settings.Store, jobs = settings.Jobs, concurrency = settings.Concurrency,
                    sleep_ms = settings.SleepMs, seconds = Math.Round(clock.Elapsed.TotalSeconds, 3), jobs_per_second = Math.Round(rate), ceiling = Math.Round(ceiling) }));
                if (timing is not null)
                    Console.WriteLine("  store calls: " + timing.Report());
                return;
            }
            Console.WriteLine(
                $"drain {settings.Store}: {settings.Jobs} jobs in {clock.Elapsed.TotalSeconds:0.000} s = {settings.Jobs / clock.Elapsed.TotalSeconds:0} jobs/s " +
                $"(enqueue {settings.Jobs / enqueueTime.TotalSeconds:0} jobs/s); allocated {allocated / (double)settings.Jobs / 1024:0.0} KiB/job; " +
                $"peak working set {Process.GetCurrentProcess().PeakWorkingSet64 / 1048576} MiB");
            if (timing is not null)
                Console.WriteLine("  store calls: " + timing.Report());
        }
    }

    /// <summary>Sleeps, then counts: a job that waits on I/O (the sleepy scenario).</summary>
    internal sealed class SleepHandler(RunCounter counter, BenchSettings settings) : IJobHandler<NoopArgs>
    {
        public async Task<JobResult> HandleAsync(JobContext<NoopArgs> job, CancellationToken ct)
        {
            await Task.Delay(settings.SleepMs, ct);
            counter.Ran();
            return JobResult.Completed();
        }
    }

    /// <summary>Idle pickup latency: one job at a time into an idle worker, enqueue call to handler start.</summary>
    internal static class Latency
    {
        /// <summary>
        /// With --cross-process: the worker is a separate `conveyor work` process, woken by the trigger's NOTIFY
        /// (PostgreSQL) or by its poll (SQLite, no cross-process signal). Measured from just before the enqueue
        /// call to the claim's started_at, both read from this machine's clock.
        /// </summary>
        public static async Task RunCrossProcessAsync(IConveyorStore store, string database, string? schema, BenchSettings settings)
        {
            string[] args = ["work", "--database", database, "--concurrency", "4", "--poll-interval", "1s", .. schema is null ? Array.Empty<string>() : ["--schema", schema]];
            await using var worker = ChildProcess.Cli(args);
            await worker.WaitForOutputAsync("Conveyor work started", TimeSpan.FromSeconds(60));
            await using var client = new ConveyorTestHost(store, o => o.RunWorkers = false);
            await Task.Delay(500);
            var samples = new List<double>(settings.Samples);
            for (var i = 0; i < settings.Samples + 10; i++)
            {
                var before = DateTimeOffset.UtcNow;
                var id = (await client.Client.EnqueueKindAsync("demo.noop")).Id;
                var deadline = Stopwatch.StartNew();
                DateTimeOffset? started;
                while ((started = (await store.JobGetAsync(id, default))?.StartedAt) is null)
                {
                    if (deadline.Elapsed > TimeSpan.FromSeconds(10))
                        throw new TimeoutException($"job {id} never started:\n{worker.Output}");
                    await Task.Delay(1);
                }
                if (i >= 10)
                    samples.Add((started.Value - before).TotalMilliseconds);
                await Task.Delay(20);
            }
            Report($"latency {settings.Store} (worker in another process)", samples);
        }

        private static void Report(string title, List<double> samples)
        {
            samples.Sort();
            double P(double q) => samples[Math.Min(samples.Count - 1, (int)Math.Ceiling(q * samples.Count) - 1)];
            Console.WriteLine($"{title}: enqueue-to-start over {samples.Count} jobs: p50 {P(0.50):0.00} ms, p95 {P(0.95):0.00} ms, p99 {P(0.99):0.00} ms, max {samples[^1]:0.00} ms");
        }

        public static async Task RunAsync(IConveyorStore store, BenchSettings settings)
        {
            var counter = new RunCounter { Target = int.MaxValue, Starts = new() };
            await using var host = new ConveyorTestHost(store, o =>
            {
                o.Concurrency = 4;
                o.PollInterval = TimeSpan.FromSeconds(1);
                o.AddHandler<NoopArgs, NoopHandler>("bench.noop");
            }, s => s.AddSingleton(counter));
            await host.StartAsync();
            await Task.Delay(500);
            var samples = new List<double>(settings.Samples);
            for (var i = 0; i < settings.Samples + 10; i++)
            {
                var before = Stopwatch.GetTimestamp();
                var id = (await host.Client.EnqueueKindAsync("bench.noop")).Id;
                using var limit = new CancellationTokenSource(TimeSpan.FromSeconds(10));
                var started = await counter.Starts!.WaitForAsync(id, limit.Token);
                if (i >= 10) // the first few warm up connections and JIT
                    samples.Add(Stopwatch.GetElapsedTime(before, started).TotalMilliseconds);
                await Task.Delay(20); // let the worker go idle again
            }
            Report($"latency {settings.Store}", samples);
        }
    }
}
