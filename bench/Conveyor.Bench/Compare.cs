using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Conveyor.TestSupport;
using Npgsql;

namespace Conveyor.Bench;

/// <summary>
/// <c>bench compare</c>: Conveyor against its peers on one PostgreSQL server: a durable throwaway one of its own (initdb's
/// defaults: fsync, synchronous_commit and full_page_writes on) or <c>--database</c>. It measures the server's commit rate
/// with <c>pgbench -N</c> (one client), then drains the same no-op jobs with graphile-worker (pinned in bench/peers, with
/// its perfTest's batched settings), Hangfire 1.8 + Hangfire.PostgreSql 1.21 (bench/peers/hangfire) and Conveyor
/// (<c>drain --store postgres</c>), each in a process of its own and a fresh database, interleaved: every round runs each
/// system once at each concurrency. It prints medians (min-max) and the ratios to Conveyor, each system's CPU a job (its
/// own cluster's, and the rest of the machine's: the worker's, from /proc, over the whole process), one JSON line, and
/// with <c>--svg PATH</c> a chart of drain rate against concurrency.
/// </summary>
internal static partial class Compare
{
    /// <summary>Drains per process for graphile-worker and Conveyor; the first and the last are reported.</summary>
    private const string Drains = "4";

    /// <param name="ServerMicros">The database cluster's CPU per job over the whole process (its enqueues and drains); null
    /// when the server is not this machine's own cluster.</param>
    /// <param name="WorkerMicros">The rest of the machine's CPU per job over the same time: the worker's process (with
    /// <c>--database</c> on this machine, the server's too, as the cluster is then not told apart).</param>
    private sealed record Sample(string System, int Concurrency, int Round, double DrainPerSecond, double EnqueuePerSecond, bool Warm,
        double? ServerMicros, double WorkerMicros);

    public static async Task RunAsync(string[] args)
    {
        string Value(string name, string fallback)
        {
            var i = Array.IndexOf(args, name);
            return i >= 0 && i + 1 < args.Length ? args[i + 1] : fallback;
        }
        var concurrencies = Value("--concurrency", $"{Environment.ProcessorCount * 4},24,64").Split(',').Select(int.Parse).Distinct().Order().ToArray();
        var jobs = int.Parse(Value("--jobs", "20000"));
        // Hangfire runs a few hundred jobs a second on a durable server: fewer jobs keep a round within a minute.
        var hangfireJobs = int.Parse(Value("--hangfire-jobs", "2000"));
        var rounds = int.Parse(Value("--rounds", "3"));
        var systems = Value("--systems", "graphile-worker,hangfire,conveyor").Split(',');
        var svg = Value("--svg", "");
        var database = Value("--database", "");

        PostgresServer? owned = null;
        if (database.Length == 0)
        {
            owned = await PostgresServer.StartNewAsync(allowExternal: false, durable: true);
            database = owned.ConnectionString;
        }
        try
        {
            var (fsync, syncCommit, version) = await ServerSettingsAsync(database);
            Console.WriteLine($"conveyor bench: compare jobs={jobs} (hangfire {hangfireJobs}) concurrency={string.Join(",", concurrencies)} rounds={rounds}");
            Console.WriteLine($"  machine: {Environment.ProcessorCount} cores, .NET {Environment.Version}; server: {version}, fsync={fsync}, synchronous_commit={syncCommit}{(owned is null ? "" : " (its own throwaway cluster, initdb defaults)")}");
            var tps = await PgbenchAsync(database);
            Console.WriteLine($"  pgbench -N, 1 client, 5 s: {tps:0} commits/s");

            var bench = typeof(Compare).Assembly.Location;
            var peers = Path.Combine(RepoPaths.Root, "bench", "peers");
            if (systems.Contains("graphile-worker"))
                await RunToEndAsync("npm", ["ci", "--no-audit", "--no-fund", "--silent"], Path.Combine(peers, "graphile-worker"), null, TimeSpan.FromMinutes(5));
            if (systems.Contains("hangfire"))
                await RunToEndAsync("dotnet", ["build", "-c", "Release", "--nologo", "-v", "q"], Path.Combine(peers, "hangfire"), null, TimeSpan.FromMinutes(5));

            var samples = new List<Sample>();
            var meter = CpuMeter.For(owned?.DataDirectory);
            for (var round = 1; round <= rounds; round++)
            {
                foreach (var c in concurrencies)
                {
                    foreach (var system in systems)
                    {
                        var fresh = await CreateDatabaseAsync(database);
                        var before = meter.Read();
                        var output = system switch
                        {
                            "graphile-worker" => await RunToEndAsync("node", ["drain.mjs"], Path.Combine(peers, "graphile-worker"), new()
                            {
                                ["DATABASE_URL"] = PostgresUrl(fresh), ["JOBS"] = jobs.ToString(CultureInfo.InvariantCulture),
                                ["CONCURRENCY"] = c.ToString(CultureInfo.InvariantCulture), ["BATCHED"] = "1", ["RUNS"] = Drains,
                            }, TimeSpan.FromMinutes(5)),
                            "hangfire" => await RunToEndAsync("dotnet", [Path.Combine(peers, "hangfire", "bin", "Release", "net10.0", "Hangfire.Bench.dll")], null, new()
                            {
                                ["DATABASE"] = fresh, ["JOBS"] = hangfireJobs.ToString(CultureInfo.InvariantCulture), ["CONCURRENCY"] = c.ToString(CultureInfo.InvariantCulture),
                            }, TimeSpan.FromMinutes(10)),
                            "conveyor" => await RunToEndAsync("dotnet", [bench, "drain", "--store", "postgres", "--jobs", jobs.ToString(CultureInfo.InvariantCulture),
                                "--concurrency", c.ToString(CultureInfo.InvariantCulture), "--runs", Drains], null, new() { ["CONVEYOR_BENCH_POSTGRES"] = fresh }, TimeSpan.FromMinutes(5)),
                            _ => throw new ArgumentException($"Unknown system '{system}': use graphile-worker, hangfire or conveyor."),
                        };
                        var after = meter.Read();
                        var processed = system == "hangfire" ? hangfireJobs : jobs * int.Parse(Drains, CultureInfo.InvariantCulture);
                        var server = after.Server - before.Server;
                        var (serverMicros, workerMicros) = (server * 1e6 / processed, (after.Machine - before.Machine - (server ?? 0)) * 1e6 / processed);
                        // graphile-worker and Conveyor drain four times in one process: the first drain pays for the JIT (V8's,
                        // .NET's: see BENCHMARKS.md), the last is what a worker that has been up a while does. Hangfire drains
                        // once (its rate is its database round trips', and the one figure stands in both tables).
                        var matches = DrainLine().Matches(output);
                        if (matches.Count == 0)
                            throw new InvalidOperationException($"{system} printed no drain figure:\n{output}");
                        foreach (var (match, warm) in matches.Count == 1 ? [(matches[0], false), (matches[0], true)] : new[] { (matches[0], false), (matches[^1], true) })
                        {
                            var sample = new Sample(system, c, round, double.Parse(match.Groups["drain"].Value, CultureInfo.InvariantCulture),
                                double.Parse(match.Groups["enqueue"].Value, CultureInfo.InvariantCulture), warm, serverMicros, workerMicros);
                            samples.Add(sample);
                            Console.WriteLine($"  round {round} c={c,-3} {system,-16} {(warm ? "last" : "first"),-6} drain {sample.DrainPerSecond,8:0} jobs/s   enqueue {sample.EnqueuePerSecond,8:0} jobs/s   CPU a job: server {serverMicros,5:0.0} µs, worker {workerMicros,5:0.0} µs");
                        }
                        await DropDatabaseAsync(database, fresh);
                    }
                }
            }
            Report([.. samples.Where(s => !s.Warm)], "first", concurrencies, systems, tps, fsync, syncCommit, jobs, hangfireJobs, rounds);
            Report([.. samples.Where(s => s.Warm)], "last", concurrencies, systems, tps, fsync, syncCommit, jobs, hangfireJobs, rounds);
            if (svg.Length > 0)
            {
                await File.WriteAllTextAsync(svg, Chart([.. samples.Where(s => s.Warm)], concurrencies, systems));
                Console.WriteLine($"  chart: {svg}");
            }
        }
        finally
        {
            if (owned is not null)
                await owned.StopAsync();
        }
    }

    [GeneratedRegex(@"= (?<drain>\d+) jobs/s \(enqueue (?<enqueue>\d+) jobs/s")]
    private static partial Regex DrainLine();

    private static double Median(IEnumerable<double> values)
    {
        var sorted = values.Order().ToArray();
        return sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[sorted.Length / 2 - 1] + sorted[sorted.Length / 2]) / 2;
    }

    /// <param name="drain">"first": the first drain in a fresh process; "last": the last of the drains in the same process.</param>
    private static void Report(List<Sample> samples, string drain, int[] concurrencies, string[] systems, double tps, string fsync, string syncCommit, int jobs, int hangfireJobs, int rounds)
    {
        Console.WriteLine();
        Console.WriteLine(drain == "first" ? "The first drain in a fresh process:" : $"The last of {Drains} drains in the same process (the JIT has warmed up):");
        Console.WriteLine($"{"concurrency",-12} {"system",-16} {"drain jobs/s: median (min-max)",-34} {"conveyor / it",-14} {"bulk enqueue jobs/s",-20} {"CPU µs a job: server + worker",-30}");
        var rows = new List<object>();
        foreach (var c in concurrencies)
        {
            var conveyor = Median(samples.Where(s => s.System == "conveyor" && s.Concurrency == c).Select(s => s.DrainPerSecond).DefaultIfEmpty(double.NaN));
            var conveyorEnqueue = Median(samples.Where(s => s.System == "conveyor" && s.Concurrency == c).Select(s => s.EnqueuePerSecond).DefaultIfEmpty(double.NaN));
            foreach (var system in systems)
            {
                var mine = samples.Where(s => s.System == system && s.Concurrency == c).ToList();
                var median = Median(mine.Select(s => s.DrainPerSecond));
                var enqueue = Median(mine.Select(s => s.EnqueuePerSecond));
                var ratio = system == "conveyor" ? "" : $"{conveyor / median:0.00}x";
                // The whole process's CPU (all its enqueues and drains), the same in both tables.
                var serverMicros = mine.All(s => s.ServerMicros is not null) ? Median(mine.Select(s => s.ServerMicros!.Value)) : (double?)null;
                var workerMicros = Median(mine.Select(s => s.WorkerMicros));
                Console.WriteLine($"{c,-12} {system,-16} {$"{median:0} ({mine.Min(s => s.DrainPerSecond):0}-{mine.Max(s => s.DrainPerSecond):0})",-34} {ratio,-14} {enqueue,-20:0} {(serverMicros is null ? "-" : $"{serverMicros:0.0}")} + {workerMicros:0.0}");
                rows.Add(new
                {
                    concurrency = c, system, drain_median = Math.Round(median), drain_min = mine.Min(s => s.DrainPerSecond), drain_max = mine.Max(s => s.DrainPerSecond),
                    enqueue_median = Math.Round(enqueue), conveyor_drain_ratio = system == "conveyor" ? (double?)null : Math.Round(conveyor / median, 2),
                    conveyor_enqueue_ratio = system == "conveyor" ? (double?)null : Math.Round(conveyorEnqueue / enqueue, 2),
                    server_cpu_us_per_job = serverMicros is null ? (double?)null : Math.Round(serverMicros.Value, 1), worker_cpu_us_per_job = Math.Round(workerMicros, 1),
                });
            }
        }
        Console.WriteLine(JsonSerializer.Serialize(new
        {
            scenario = "compare", drain, cores = Environment.ProcessorCount, fsync, synchronous_commit = syncCommit, pgbench_n_tps = Math.Round(tps), jobs, hangfire_jobs = hangfireJobs,
            rounds, results = rows,
        }));
    }

    /// <summary>Drain rate against concurrency, one line per system (medians), with min-max whiskers.</summary>
    private static string Chart(List<Sample> samples, int[] concurrencies, string[] systems)
    {
        const int width = 640, height = 360, left = 70, right = 170, top = 30, bottom = 50;
        var max = samples.Max(s => s.DrainPerSecond) * 1.1;
        string[] colours = ["#d62728", "#7f7f7f", "#1f77b4", "#2ca02c"];
        double X(int i) => left + (concurrencies.Length == 1 ? 0.5 : i / (double)(concurrencies.Length - 1)) * (width - left - right);
        double Y(double v) => top + (1 - v / max) * (height - top - bottom);
        var svg = new StringBuilder();
        svg.Append(CultureInfo.InvariantCulture, $"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{width}\" height=\"{height}\" font-family=\"sans-serif\" font-size=\"12\">\n");
        svg.Append(CultureInfo.InvariantCulture, $"<rect width=\"{width}\" height=\"{height}\" fill=\"white\"/>\n");
        svg.Append(CultureInfo.InvariantCulture, $"<text x=\"{left}\" y=\"18\" font-size=\"14\">No-op drain, one warm process, durable PostgreSQL (medians, min-max)</text>\n");
        for (var t = 0; t <= 4; t++)
        {
            var v = max * t / 4;
            svg.Append(CultureInfo.InvariantCulture, $"<line x1=\"{left}\" x2=\"{width - right}\" y1=\"{Y(v):0.0}\" y2=\"{Y(v):0.0}\" stroke=\"#ddd\"/><text x=\"{left - 6}\" y=\"{Y(v) + 4:0.0}\" text-anchor=\"end\">{v:0}</text>\n");
        }
        for (var i = 0; i < concurrencies.Length; i++)
            svg.Append(CultureInfo.InvariantCulture, $"<text x=\"{X(i):0.0}\" y=\"{height - bottom + 18}\" text-anchor=\"middle\">{concurrencies[i]}</text>\n");
        svg.Append(CultureInfo.InvariantCulture, $"<text x=\"{(left + width - right) / 2}\" y=\"{height - 10}\" text-anchor=\"middle\">concurrency</text>\n");
        svg.Append(CultureInfo.InvariantCulture, $"<text transform=\"rotate(-90)\" x=\"{-(top + height - bottom) / 2}\" y=\"16\" text-anchor=\"middle\">jobs/s</text>\n");
        for (var k = 0; k < systems.Length; k++)
        {
            var colour = colours[k % colours.Length];
            var points = new List<string>();
            for (var i = 0; i < concurrencies.Length; i++)
            {
                var mine = samples.Where(s => s.System == systems[k] && s.Concurrency == concurrencies[i]).Select(s => s.DrainPerSecond).ToList();
                if (mine.Count == 0)
                    continue;
                points.Add(string.Create(CultureInfo.InvariantCulture, $"{X(i):0.0},{Y(Median(mine)):0.0}"));
                svg.Append(CultureInfo.InvariantCulture, $"<line x1=\"{X(i):0.0}\" x2=\"{X(i):0.0}\" y1=\"{Y(mine.Min()):0.0}\" y2=\"{Y(mine.Max()):0.0}\" stroke=\"{colour}\"/>\n");
                svg.Append(CultureInfo.InvariantCulture, $"<circle cx=\"{X(i):0.0}\" cy=\"{Y(Median(mine)):0.0}\" r=\"3\" fill=\"{colour}\"/>\n");
            }
            svg.Append(CultureInfo.InvariantCulture, $"<polyline fill=\"none\" stroke=\"{colour}\" stroke-width=\"2\" points=\"{string.Join(' ', points)}\"/>\n");
            svg.Append(CultureInfo.InvariantCulture, $"<line x1=\"{width - right + 15}\" x2=\"{width - right + 35}\" y1=\"{top + 20 + k * 20}\" y2=\"{top + 20 + k * 20}\" stroke=\"{colour}\" stroke-width=\"2\"/><text x=\"{width - right + 40}\" y=\"{top + 24 + k * 20}\">{systems[k]}</text>\n");
        }
        svg.Append("</svg>\n");
        return svg.ToString();
    }

    private static async Task<(string Fsync, string SyncCommit, string Version)> ServerSettingsAsync(string database)
    {
        await using var connection = new NpgsqlConnection(database);
        await connection.OpenAsync();
        async Task<string> Show(string sql)
        {
            await using var command = new NpgsqlCommand(sql, connection);
            return (string)(await command.ExecuteScalarAsync())!;
        }
        return (await Show("SHOW fsync"), await Show("SHOW synchronous_commit"), "PostgreSQL " + await Show("SHOW server_version"));
    }

    private static async Task<string> CreateDatabaseAsync(string server)
    {
        var name = "cmp_" + Guid.NewGuid().ToString("N")[..12];
        await using var connection = new NpgsqlConnection(server);
        await connection.OpenAsync();
        await using (var command = new NpgsqlCommand($"CREATE DATABASE \"{name}\"", connection))
            await command.ExecuteNonQueryAsync();
        return new NpgsqlConnectionStringBuilder(server) { Database = name, Pooling = true, MaxPoolSize = 100 }.ConnectionString;
    }

    private static async Task DropDatabaseAsync(string server, string database)
    {
        var name = new NpgsqlConnectionStringBuilder(database).Database!;
        NpgsqlConnection.ClearAllPools();
        await using var connection = new NpgsqlConnection(server);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand($"DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)", connection);
        await command.ExecuteNonQueryAsync();
    }

    private static string PostgresUrl(string connectionString)
    {
        var b = new NpgsqlConnectionStringBuilder(connectionString);
        var password = string.IsNullOrEmpty(b.Password) ? "" : ":" + Uri.EscapeDataString(b.Password);
        return $"postgres://{Uri.EscapeDataString(b.Username ?? "postgres")}{password}@{b.Host}:{b.Port}/{Uri.EscapeDataString(b.Database!)}";
    }

    /// <summary>pgbench -N (no updates of the branch and teller rows) with one client for 5 s: the server's commit rate.</summary>
    private static async Task<double> PgbenchAsync(string server)
    {
        var db = await CreateDatabaseAsync(server);
        var b = new NpgsqlConnectionStringBuilder(db);
        string[] target = ["-h", b.Host!, "-p", b.Port.ToString(CultureInfo.InvariantCulture), "-U", b.Username ?? "postgres"];
        var env = new Dictionary<string, string> { ["PGPASSWORD"] = b.Password ?? "" };
        await RunToEndAsync(PgBinary("pgbench"), ["-i", "-q", "-s", "1", .. target, b.Database!], null, env, TimeSpan.FromMinutes(2));
        var output = await RunToEndAsync(PgBinary("pgbench"), ["-N", "-c", "1", "-T", "5", .. target, b.Database!], null, env, TimeSpan.FromMinutes(1));
        await DropDatabaseAsync(server, db);
        var match = Regex.Match(output, @"tps = (?<tps>[\d.]+)");
        return match.Success ? double.Parse(match.Groups["tps"].Value, CultureInfo.InvariantCulture) : throw new InvalidOperationException("pgbench printed no tps:\n" + output);
    }

    private static string PgBinary(string name)
    {
        foreach (var dir in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries))
        {
            if (File.Exists(Path.Combine(dir, name)))
                return Path.Combine(dir, name);
        }
        return Directory.Exists("/usr/lib/postgresql")
            ? Directory.GetDirectories("/usr/lib/postgresql").OrderDescending().Select(d => Path.Combine(d, "bin", name)).FirstOrDefault(File.Exists) ?? name
            : name;
    }

    private static async Task<string> RunToEndAsync(string file, string[] args, string? workingDirectory, Dictionary<string, string>? env, TimeSpan limit)
    {
        var info = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = workingDirectory ?? Environment.CurrentDirectory };
        foreach (var a in args)
            info.ArgumentList.Add(a);
        foreach (var (k, v) in env ?? [])
            info.Environment[k] = v;
        using var process = Process.Start(info) ?? throw new InvalidOperationException($"Could not start {file}.");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(limit);
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{file} {string.Join(' ', args)} ran over {limit}.");
        }
        var output = await stdout + await stderr;
        return process.ExitCode == 0 ? output : throw new InvalidOperationException($"{file} {string.Join(' ', args)} failed ({process.ExitCode}):\n{output}");
    }
}
