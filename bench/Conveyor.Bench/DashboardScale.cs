using System.Data.Common;
using System.Diagnostics;
using System.Net.Http.Json;
using System.Text.Json;
using Conveyor.Storage;
using Conveyor.TestSupport;
using Microsoft.Data.Sqlite;
using Npgsql;

namespace Conveyor.Bench;

/// <summary>
/// The dashboard at scale: fill a store with --jobs jobs (default 1,000,000; one in ten failed with a 4 KB error text,
/// the rest completed, a few thousand waiting), start a real `conveyor serve` on it, and time the requests the dashboard
/// makes — the overview (queues, throughput, workers), a filtered jobs page, a job page, args searches — over HTTP,
/// then hold --clients server-sent event streams (default 1,000) open while jobs run and read the server's peak memory.
/// </summary>
internal static class DashboardScale
{
    public static async Task RunAsync(IConveyorStore store, string database, string? schema, BenchSettings settings)
    {
        var fill = Stopwatch.StartNew();
        await FillAsync(store, settings.Jobs);
        await MarkFinishedAsync(database, schema, settings.Jobs);
        Console.WriteLine($"filled {settings.Jobs:N0} jobs in {fill.Elapsed.TotalSeconds:0} s");

        var url = $"http://127.0.0.1:{FreePort.Next()}";
        string[] args = ["serve", "--database", database, "--urls", url, "--queues", "idle", .. schema is null ? Array.Empty<string>() : ["--schema", schema]];
        await using var server = ChildProcess.Cli(args);
        await server.WaitForOutputAsync("Conveyor serve started", TimeSpan.FromSeconds(120));
        using var http = new HttpClient { BaseAddress = new Uri(url), Timeout = TimeSpan.FromSeconds(60) };

        var failed = (await http.GetFromJsonAsync<JsonElement>("/api/jobs?state=failed&limit=1")).GetProperty("jobs")[0].GetProperty("id").GetInt64();
        var requests = new (string Name, string Path)[]
        {
            ("overview: queues", "/api/queues"),
            ("overview: throughput", "/api/stats/throughput"),
            ("overview: workers", "/api/workers"),
            ("jobs page: failed in queue default", "/api/jobs?state=failed&queue=default&limit=50"),
            ("jobs page: kind bench.report, second page", $"/api/jobs?kind=bench.report&limit=50&after={settings.Jobs / 2}"),
            ("job page: a failed job (4 KB error)", $"/api/jobs/{failed}"),
            ("args search: common value", "/api/jobs?args=" + Uri.EscapeDataString("""{"plan":"pro"}""") + "&limit=50"),
            ("args search: one user, failed", "/api/jobs?state=failed&args=" + Uri.EscapeDataString("""{"user":{"id":1230}}""") + "&limit=50"),
            ("args search: one user, all states", "/api/jobs?args=" + Uri.EscapeDataString("""{"user":{"id":1234}}""") + "&limit=50"),
        };
        foreach (var (name, path) in requests)
        {
            var samples = new List<double>();
            for (var i = 0; i < 23; i++)
            {
                var clock = Stopwatch.StartNew();
                using var response = await http.GetAsync(path);
                await response.Content.ReadAsByteArrayAsync();
                response.EnsureSuccessStatusCode();
                if (i >= 3)
                    samples.Add(clock.Elapsed.TotalMilliseconds);
            }
            samples.Sort();
            Console.WriteLine($"  {name,-45} median {samples[samples.Count / 2],7:0.0} ms   p90 {samples[(int)(samples.Count * 0.9)],7:0.0} ms");
        }

        await EventLatencyAsync(http);
        await StreamsAsync(http, url, server, settings.Clients, database, schema);
    }

    /// <summary>
    /// From an enqueue's answer to its "queued" event on an open stream (queue "latency", which no worker serves): what a
    /// browser waits to see a change, given the hub's 250 ms read of the store's change feed.
    /// </summary>
    private static async Task EventLatencyAsync(HttpClient http)
    {
        using var stream = await http.GetAsync("/api/events?queue=latency", HttpCompletionOption.ResponseHeadersRead);
        using var reader = new StreamReader(await stream.Content.ReadAsStreamAsync());
        var samples = new List<double>();
        for (var i = 0; i < 60; i++)
        {
            var response = await http.PostAsync("/api/jobs", new StringContent("""{"kind":"demo.noop","queue":"latency"}""", System.Text.Encoding.UTF8, "application/json"));
            var clock = Stopwatch.StartNew();
            var id = (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetInt64();
            while (await reader.ReadLineAsync() is { } line)
            {
                if (line.StartsWith("data: ", StringComparison.Ordinal) && JsonDocument.Parse(line[6..]).RootElement.GetProperty("id").GetInt64() == id)
                    break;
            }
            if (i >= 10)
                samples.Add(clock.Elapsed.TotalMilliseconds);
            await Task.Delay(Random.Shared.Next(0, 100));
        }
        samples.Sort();
        Console.WriteLine($"  event latency, enqueue answered to its event (50 samples): p50 {samples[25]:0} ms, p90 {samples[45]:0} ms, max {samples[^1]:0} ms");
    }

    /// <summary>Opens the streams, runs jobs that report progress so every stream carries events, and reads the server's memory.</summary>
    private static async Task StreamsAsync(HttpClient http, string url, ChildProcess server, int clients, string database, string? schema)
    {
        var baseline = Rss(server.Id);
        using var handler = new SocketsHttpHandler { MaxConnectionsPerServer = clients + 10 };
        using var streams = new HttpClient(handler) { BaseAddress = new Uri(url), Timeout = Timeout.InfiniteTimeSpan };
        using var stop = new CancellationTokenSource();
        long received = 0;
        var readers = new List<Task>();
        for (var i = 0; i < clients; i++)
        {
            var response = await streams.GetAsync("/api/events?queue=stream", HttpCompletionOption.ResponseHeadersRead);
            response.EnsureSuccessStatusCode();
            var stream = await response.Content.ReadAsStreamAsync();
            readers.Add(Task.Run(async () =>
            {
                using var reader = new StreamReader(stream);
                try
                {
                    while (await reader.ReadLineAsync(stop.Token) is { } line)
                    {
                        if (line.StartsWith("event: job", StringComparison.Ordinal))
                            Interlocked.Increment(ref received);
                    }
                }
                catch (OperationCanceledException)
                {
                }
            }));
        }
        var open = Rss(server.Id);
        // 200 jobs of 4 progress steps each, run by a worker process of their own; every stream hears every change.
        await using var worker = ChildProcess.Cli(["work", "--database", database, "--queues", "stream", "--concurrency", "50",
            .. schema is null ? Array.Empty<string>() : ["--schema", schema]]);
        await worker.WaitForOutputAsync("Conveyor work started", TimeSpan.FromSeconds(60));
        var jobs = string.Join(",", Enumerable.Range(0, 200).Select(_ => """{"kind":"demo.sleep","queue":"stream","args":{"seconds":1,"steps":4}}"""));
        (await http.PostAsync("/api/jobs/bulk", new StringContent($"[{jobs}]", System.Text.Encoding.UTF8, "application/json"))).EnsureSuccessStatusCode();
        var peak = open;
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < TimeSpan.FromSeconds(60))
        {
            peak = Math.Max(peak, Rss(server.Id));
            var queues = await http.GetFromJsonAsync<JsonElement>("/api/queues");
            var done = queues.EnumerateArray().Where(q => q.GetProperty("queue").GetString() == "stream")
                .Sum(q => q.GetProperty("counts").GetProperty("completed").GetInt64());
            if (done == 200 && Interlocked.Read(ref received) >= 200L * clients)
                break;
            await Task.Delay(250);
        }
        await Task.Delay(1000);
        peak = Math.Max(peak, Rss(server.Id));
        var hwm = PeakRss(server.Id);
        await stop.CancelAsync();
        Console.WriteLine($"  {clients} SSE streams: server RSS {baseline / 1024} MiB before, {open / 1024} MiB with the streams open, " +
            $"peak {Math.Max(peak, hwm) / 1024} MiB while they carried {Interlocked.Read(ref received):N0} events " +
            $"({Interlocked.Read(ref received) / (double)clients:0} each) in {clock.Elapsed.TotalSeconds:0.0} s");
    }

    private static long Rss(int pid) => ReadStatus(pid, "VmRSS:");
    private static long PeakRss(int pid) => ReadStatus(pid, "VmHWM:");

    /// <summary>A /proc/PID/status field in KiB.</summary>
    private static long ReadStatus(int pid, string field)
    {
        var line = File.ReadLines($"/proc/{pid}/status").FirstOrDefault(l => l.StartsWith(field, StringComparison.Ordinal));
        return line is null ? 0 : long.Parse(line[field.Length..].Trim().Split(' ')[0]);
    }

    private static async Task FillAsync(IConveyorStore store, int count)
    {
        var now = DateTimeOffset.UtcNow.AddHours(-1);
        string[] plans = ["free", "pro", "team", "enterprise"];
        for (var done = 0; done < count; done += 10_000)
        {
            var rows = Enumerable.Range(done, Math.Min(10_000, count - done)).Select(i => new JobInsertRow(
                i % 3 == 0 ? "bench.report" : "bench.email", "default",
                $$"""{"user":{"id":{{i % 5000}}},"plan":"{{plans[i % 4]}}","n":{{i}}}""", 0, 1, now, Tags: [$"t{i % 10}"])).ToList();
            await store.JobInsertManyAsync(new JobInsertManyParams(rows, now), default);
        }
    }

    /// <summary>Nine in ten completed, one in ten failed with a 4 KB error text, the last 5,000 left waiting; in slices, through the triggers.</summary>
    private static async Task MarkFinishedAsync(string database, string? schema, int count)
    {
        var error = JsonSerializer.Serialize(new[] { new { at = DateTimeOffset.UtcNow, attempt = 1, type = "BenchError", message = new string('x', 4096), stack = "at Bench" } });
        await using var connection = schema is null
            ? (DbConnection)new SqliteConnection($"Data Source={database};Default Timeout=60")
            : new NpgsqlConnection(database);
        await connection.OpenAsync();
        var jobs = schema is null ? "conveyor_jobs" : $"\"{schema}\".jobs";
        var time = schema is null ? "strftime('%Y-%m-%dT%H:%M:%f000Z', 'now')" : "now()";
        var json = schema is null ? "@error" : "@error::jsonb";
        for (var from = 0; from < count - 5000; from += 100_000)
        {
            var to = Math.Min(from + 100_000, count - 5000);
            await using var command = connection.CreateCommand();
            command.CommandText = $"""
                UPDATE {jobs} SET state = CASE WHEN id % 10 = 0 THEN 'failed' ELSE 'completed' END, attempt = 1, started_at = {time},
                    finished_at = {time}, errors = CASE WHEN id % 10 = 0 THEN {json} ELSE errors END
                WHERE id > {from} AND id <= {to}
                """;
            var parameter = command.CreateParameter();
            parameter.ParameterName = "@error";
            parameter.Value = error;
            command.Parameters.Add(parameter);
            command.CommandTimeout = 600;
            await command.ExecuteNonQueryAsync();
        }
        // A hand-written UPDATE is not counted on PostgreSQL (the statements Conveyor runs append their count changes):
        // recount, as an operator would, and vacuum as autovacuum would after a million row versions died.
        foreach (var sql in schema is null ? ["ANALYZE"] : new[] { $"SELECT \"{schema}\".recount()", $"VACUUM ANALYZE {jobs}" })
        {
            await using var command = connection.CreateCommand();
            command.CommandText = sql;
            command.CommandTimeout = 600;
            await command.ExecuteNonQueryAsync();
        }
    }
}
