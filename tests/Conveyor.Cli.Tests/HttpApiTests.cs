using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Conveyor.TestSupport;
using Xunit;

namespace Conveyor.Cli.Tests;

/// <summary>The HTTP API of a real `conveyor serve`, over loopback.</summary>
public sealed class HttpApiTests(ServeFixture serve) : IClassFixture<ServeFixture>
{
    private static StringContent Json(string json) => new(json, Encoding.UTF8, "application/json");

    /// <summary>A typo'd kind over HTTP, as a new user sent one: it waits uncharged and every surface says why.</summary>
    [Fact]
    public async Task A_typoed_kind_waits_uncharged_and_why_names_it_over_http_and_the_cli()
    {
        var response = await serve.Http.PostAsync("/api/jobs", Json("""{"kind":"demo.slep","args":{"seconds":1}}"""));
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var id = (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetInt64();
        await Task.Delay(1500); // several of the server's claims go by
        var job = await serve.Http.GetFromJsonAsync<JsonElement>($"/api/jobs/{id}");
        Assert.Equal(("queued", 0), (job.GetProperty("state").GetString(), job.GetProperty("attempt").GetInt32()));

        var why = await serve.Http.GetFromJsonAsync<JsonElement>($"/api/jobs/{id}/why");
        var reason = why.GetProperty("reasons")[0];
        Assert.Equal("no-worker-for-kind", reason.GetProperty("code").GetString());
        Assert.Contains("'demo.slep'", reason.GetProperty("message").GetString());
        Assert.Contains("demo.sleep", reason.GetProperty("message").GetString());   // what the workers do run
        Assert.Equal(HttpStatusCode.NotFound, (await serve.Http.GetAsync("/api/jobs/987654/why")).StatusCode);

        var (code, stdout, all) = await serve.CliAsync("status", id.ToString(), "--why");
        Assert.True(code == 0, all);
        Assert.Contains($"job {id} is queued", stdout);
        Assert.Contains("no-worker-for-kind: No live worker on queue 'default' runs kind 'demo.slep'", stdout);
        await serve.Http.DeleteAsync($"/api/jobs/{id}");
    }

    [Fact]
    public async Task Queue_limits_over_http_and_the_cli_hold_jobs_back_uncharged_and_why_says_so()
    {
        try
        {
            var put = await serve.Http.PutAsync("/api/queues/default/limits", Json("""{"concurrency":1,"perKey":3,"rate":"100/1s"}"""));
            Assert.Equal(HttpStatusCode.OK, put.StatusCode);
            var answer = await put.Content.ReadFromJsonAsync<JsonElement>();
            Assert.Equal("100/1s", answer.GetProperty("limits").GetProperty("rate").GetString());
            Assert.Equal(JsonValueKind.Null, answer.GetProperty("previous").GetProperty("concurrency").ValueKind);
            foreach (var bad in new[] { """{"concurrency":0}""", """{"rate":"fast"}""", """{"rate":"5/1ms"}""", """{"surprise":1}""", "[]", """{"perKey":"two"}""" })
            {
                var refused = await serve.Http.PutAsync("/api/queues/default/limits", Json(bad));
                Assert.True(refused.StatusCode == HttpStatusCode.BadRequest, bad);
            }
            var queue = (await serve.Http.GetFromJsonAsync<JsonElement>("/api/queues")).EnumerateArray().Single(q => q.GetProperty("queue").GetString() == "default");
            Assert.Equal(1, queue.GetProperty("limits").GetProperty("concurrency").GetInt32());   // unchanged by the refused ones

            var holder = await EnqueueAsync("""{"kind":"demo.sleep","args":{"seconds":30,"steps":30}}""");
            await WaitStateAsync(holder, "running");
            var waiter = await EnqueueAsync("""{"kind":"demo.sleep","args":{"seconds":0.1,"steps":1}}""");
            await Task.Delay(1000); // several claims go by
            var job = await serve.Http.GetFromJsonAsync<JsonElement>($"/api/jobs/{waiter}");
            Assert.Equal(("queued", 0), (job.GetProperty("state").GetString(), job.GetProperty("attempt").GetInt32()));
            var reason = (await serve.Http.GetFromJsonAsync<JsonElement>($"/api/jobs/{waiter}/why")).GetProperty("reasons")[0];
            Assert.Equal("queue-limit", reason.GetProperty("code").GetString());
            Assert.Contains("1 of 1 running", reason.GetProperty("message").GetString());

            var (code, stdout, all) = await serve.CliAsync("queues");
            Assert.True(code == 0, all);
            Assert.Contains("concurrency 1, per key 3, rate 100/1s", stdout);
            (code, stdout, all) = await serve.CliAsync("queues", "limit", "default", "--concurrency", "2", "--rate", "none");
            Assert.True(code == 0, all);
            Assert.Contains("queue default limits: concurrency 2, per key 3 (were: concurrency 1, per key 3, rate 100/1s)", stdout);
            Assert.Equal("completed", (await serve.WaitFinishedAsync(waiter)).GetProperty("state").GetString());   // the raised limit, no restart
            (code, _, all) = await serve.CliAsync("queues", "limit", "default", "--per-key", "lots");
            Assert.True(code == 2, all);
            Assert.Contains("--per-key: 'lots' is not a whole number", all);
            await serve.Http.PostAsync($"/api/jobs/{holder}/cancel", null);
        }
        finally
        {
            var (code, stdout, all) = await serve.CliAsync("queues", "limit", "default", "--clear");
            Assert.True(code == 0, all);
            Assert.Contains("queue default limits: none", stdout);
        }
    }

    private async Task<long> EnqueueAsync(string body)
    {
        var response = await serve.Http.PostAsync("/api/jobs", Json(body));
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        return (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetInt64();
    }

    private async Task WaitStateAsync(long id, string state)
    {
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while ((await serve.Http.GetFromJsonAsync<JsonElement>($"/api/jobs/{id}")).GetProperty("state").GetString() != state)
        {
            Assert.True(DateTime.UtcNow < deadline, $"job {id} never {state}");
            await Task.Delay(50);
        }
    }

    [Fact]
    public async Task Post_a_job_then_read_it_until_it_completes()
    {
        var response = await serve.Http.PostAsync("/api/jobs", Json("""{"kind":"demo.sleep","args":{"seconds":0.2,"steps":2},"priority":3,"tags":["a"]}"""));
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var accepted = await response.Content.ReadFromJsonAsync<JsonElement>();
        var id = accepted.GetProperty("id").GetInt64();
        Assert.Equal($"/api/jobs/{id}", response.Headers.Location?.OriginalString);
        Assert.False(accepted.GetProperty("duplicate").GetBoolean());
        Assert.Contains(accepted.GetProperty("state").GetString(), new[] { "queued", "running", "completed" });
        var job = await serve.WaitFinishedAsync(id);
        Assert.Equal("completed", job.GetProperty("state").GetString());
        Assert.Equal(3, job.GetProperty("priority").GetInt32());
        Assert.Equal("a", job.GetProperty("tags")[0].GetString());
    }

    [Fact]
    public async Task Bad_requests_get_problem_details_and_change_nothing()
    {
        var before = (await serve.Http.GetFromJsonAsync<JsonElement>("/api/jobs?limit=1000")).GetProperty("jobs").GetArrayLength();
        foreach (var body in new[] { "{\"kind\":", "[]", "{\"args\":{}}", "{\"kind\":\"bad kind\"}", "{\"kind\":\"x\",\"maxAttempts\":0}", "{\"kind\":\"x\",\"delay\":\"-5s\"}", "{\"kind\":\"x\",\"surprise\":1}" })
        {
            var response = await serve.Http.PostAsync("/api/jobs", Json(body));
            Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
            Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
            var problem = await response.Content.ReadFromJsonAsync<JsonElement>();
            Assert.False(string.IsNullOrEmpty(problem.GetProperty("detail").GetString()));
        }
        var after = (await serve.Http.GetFromJsonAsync<JsonElement>("/api/jobs?limit=1000")).GetProperty("jobs").GetArrayLength();
        Assert.Equal(before, after);
    }

    [Fact]
    public async Task A_duplicate_is_200_with_the_job_that_holds_the_key()
    {
        var first = await serve.Http.PostAsync("/api/jobs", Json("""{"kind":"demo.sleep","args":{"seconds":5},"uniqueKey":"http-dup","delay":"1h"}"""));
        Assert.Equal(HttpStatusCode.Accepted, first.StatusCode);
        var second = await serve.Http.PostAsync("/api/jobs", Json("""{"kind":"demo.sleep","uniqueKey":"http-dup"}"""));
        Assert.Equal(HttpStatusCode.OK, second.StatusCode);
        var holder = await second.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal((await first.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetInt64(), holder.GetProperty("id").GetInt64());
        Assert.True(holder.GetProperty("duplicate").GetBoolean());
        Assert.Equal("scheduled", holder.GetProperty("state").GetString());
    }

    [Fact]
    public async Task Oversized_bodies_and_args_are_413_deep_json_400_and_nothing_is_written()
    {
        var before = (await serve.Http.GetFromJsonAsync<JsonElement>("/api/jobs?queue=too-big")).GetProperty("jobs").GetArrayLength();
        // A 3 MB body is refused by its declared length, before it is read.
        var big = new string('x', 3 * 1024 * 1024);
        var tooBig = await serve.Http.PostAsync("/api/jobs", Json("{\"kind\":\"demo.noop\",\"queue\":\"too-big\",\"args\":{\"blob\":\"" + big + "\"}}"));
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, tooBig.StatusCode);
        Assert.Contains("limit", (await tooBig.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("detail").GetString());
        // The same body sent in chunks, without a length, is cut off where it passes the limit.
        using var chunked = new StreamContent(new MemoryStream(Encoding.UTF8.GetBytes("{\"kind\":\"demo.noop\",\"queue\":\"too-big\",\"args\":{\"blob\":\"" + big + "\"}}")));
        chunked.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/json");
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/jobs") { Content = chunked };
        request.Headers.TransferEncodingChunked = true;
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, (await serve.Http.SendAsync(request)).StatusCode);
        // One job's args over --max-args-bytes (1 MiB) inside a bulk body that is itself allowed.
        var args = new string('y', 1024 * 1024 + 10);
        var bulk = await serve.Http.PostAsync("/api/jobs/bulk", Json("[{\"kind\":\"demo.noop\",\"queue\":\"too-big\"},{\"kind\":\"demo.noop\",\"queue\":\"too-big\",\"args\":{\"blob\":\"" + args + "\"}}]"));
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, bulk.StatusCode);
        Assert.Contains("Job 1", (await bulk.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("detail").GetString());
        // JSON nested 65 deep is bad input.
        var deep = string.Concat(Enumerable.Repeat("[", 65)) + string.Concat(Enumerable.Repeat("]", 65));
        Assert.Equal(HttpStatusCode.BadRequest, (await serve.Http.PostAsync("/api/jobs", Json("{\"kind\":\"demo.noop\",\"queue\":\"too-big\",\"args\":" + deep + "}"))).StatusCode);
        var after = (await serve.Http.GetFromJsonAsync<JsonElement>("/api/jobs?queue=too-big")).GetProperty("jobs").GetArrayLength();
        Assert.Equal(before, after);
    }

    [Fact]
    public async Task A_larger_limit_is_clamped_to_500()
    {
        var response = await serve.Http.PostAsync("/api/jobs/bulk", Json("[" + string.Join(",", Enumerable.Repeat("""{"kind":"demo.noop","queue":"clamp","delay":"1h"}""", 600)) + "]"));
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var page = await serve.Http.GetFromJsonAsync<JsonElement>("/api/jobs?queue=clamp&limit=100000");
        Assert.Equal(500, page.GetProperty("jobs").GetArrayLength());
        Assert.Equal(JsonValueKind.Number, page.GetProperty("next").ValueKind);
    }

    [Fact]
    public async Task The_OpenAPI_document_lists_every_route()
    {
        var document = await serve.Http.GetFromJsonAsync<JsonElement>("/openapi/v1.json");
        var paths = document.GetProperty("paths");
        foreach (var (path, method) in new[]
        {
            ("/api/jobs", "post"), ("/api/jobs", "get"), ("/api/jobs/bulk", "post"), ("/api/jobs/{id}", "get"),
            ("/api/jobs/{id}/cancel", "post"), ("/api/jobs/{id}/retry", "post"), ("/api/queues", "get"), ("/api/workers", "get"),
            ("/healthz", "get"), ("/readyz", "get"),
            ("/api/jobs/{id}", "delete"), ("/api/jobs/{id}/token", "post"), ("/api/jobs/actions", "post"), ("/api/jobs/actions/{actionId}", "get"),
            ("/api/events", "get"), ("/api/queues/{queue}/pause", "post"), ("/api/queues/{queue}/resume", "post"), ("/api/stats/throughput", "get"),
            ("/api/batches", "post"), ("/api/batches/{batchId}", "get"), ("/api/schedules", "get"), ("/api/schedules/preview", "get"),
            ("/api/schedules/{name}", "get"), ("/api/schedules/{name}", "put"), ("/api/schedules/{name}", "delete"),
            ("/api/schedules/{name}/pause", "post"), ("/api/schedules/{name}/resume", "post"), ("/api/schedules/{name}/trigger", "post"),
        })
        {
            Assert.True(paths.TryGetProperty(path, out var item), $"no {path} in the document");
            Assert.True(item.TryGetProperty(method, out _), $"no {method} {path} in the document");
        }
        Assert.True(paths.GetProperty("/api/jobs").GetProperty("post").GetProperty("responses").TryGetProperty("202", out _));
    }

    [Fact]
    public async Task Unknown_ids_are_404_and_bad_queries_400()
    {
        Assert.Equal(HttpStatusCode.NotFound, (await serve.Http.GetAsync("/api/jobs/987654321")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await serve.Http.PostAsync("/api/jobs/987654321/cancel", null)).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await serve.Http.GetAsync("/api/jobs?state=bogus")).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await serve.Http.GetAsync("/api/jobs?limit=0")).StatusCode);
    }

    [Fact]
    public async Task Bulk_enqueue_and_paged_listing()
    {
        var jobs = string.Join(",", Enumerable.Range(0, 30).Select(i => "{\"kind\":\"demo.noop\",\"queue\":\"paged\",\"args\":{\"i\":" + i + "}}"));
        var response = await serve.Http.PostAsync("/api/jobs/bulk", Json($"[{jobs}]"));
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        Assert.Equal(30, (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("jobs").GetArrayLength());

        var seen = new HashSet<long>();
        string? after = null;
        do
        {
            var page = await serve.Http.GetFromJsonAsync<JsonElement>($"/api/jobs?queue=paged&limit=7{(after is null ? "" : "&after=" + after)}");
            foreach (var job in page.GetProperty("jobs").EnumerateArray())
                Assert.True(seen.Add(job.GetProperty("id").GetInt64()));
            after = page.GetProperty("next").ValueKind == JsonValueKind.Null ? null : page.GetProperty("next").GetInt64().ToString();
        } while (after is not null);
        Assert.Equal(30, seen.Count);

        var bad = await serve.Http.PostAsync("/api/jobs/bulk", Json("""[{"kind":"demo.noop"},{"kind":"bad kind"}]"""));
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
        Assert.Contains("Job 1", await bad.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Queues_and_health()
    {
        await serve.Http.PostAsync("/api/jobs", Json("""{"kind":"demo.noop","queue":"health-check"}"""));
        var queues = await serve.Http.GetFromJsonAsync<JsonElement>("/api/queues");
        Assert.Contains(queues.EnumerateArray(), q => q.GetProperty("queue").GetString() == "health-check" && q.GetProperty("counts").TryGetProperty("completed", out _));
        var workers = await serve.Http.GetFromJsonAsync<JsonElement>("/api/workers");
        var worker = Assert.Single(workers.EnumerateArray());
        Assert.Equal(serve.Server.Id, worker.GetProperty("pid").GetInt32());
        Assert.Equal(4, worker.GetProperty("concurrency").GetInt32());
        var health = await serve.Http.GetFromJsonAsync<JsonElement>("/healthz");
        Assert.Equal("ok", health.GetProperty("status").GetString());
        var ready = await serve.Http.GetFromJsonAsync<JsonElement>("/readyz");
        Assert.Equal("ready", ready.GetProperty("status").GetString());
        Assert.StartsWith("sqlite ", ready.GetProperty("store").GetString());
    }

    [Fact]
    public async Task Cancel_and_retry_over_http()
    {
        var created = await (await serve.Http.PostAsync("/api/jobs", Json("""{"kind":"demo.sleep","delay":"1h"}"""))).Content.ReadFromJsonAsync<JsonElement>();
        var id = created.GetProperty("id").GetInt64();
        var cancelled = await (await serve.Http.PostAsync($"/api/jobs/{id}/cancel", null)).Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("cancelled", cancelled.GetProperty("job").GetProperty("state").GetString());
        var retried = await serve.Http.PostAsync($"/api/jobs/{id}/retry", null);
        Assert.Equal(HttpStatusCode.OK, retried.StatusCode);
        Assert.Equal("completed", (await serve.WaitFinishedAsync(id)).GetProperty("state").GetString());
        Assert.Equal(HttpStatusCode.Conflict, (await serve.Http.PostAsync($"/api/jobs/{id}/retry", null)).StatusCode);
    }

    [Fact]
    public async Task Without_a_key_it_refuses_to_listen_beyond_loopback()
    {
        using var dir = new TempDirectory("conveyor-open");
        foreach (var url in new[] { "http://0.0.0.0:5999", "http://*:5999", "http://[::]:5999" })
        {
            var (code, _, all) = await ChildProcess.RunCliAsync(["serve", "--database", dir.File("o.db"), "--urls", url], TimeSpan.FromSeconds(60));
            Assert.True(code == 2, all);
            Assert.Contains("no --api-key", all);
        }
    }

    [Fact]
    public async Task The_server_listens_on_loopback_only()
    {
        Assert.StartsWith("http://127.0.0.1:", serve.Url);
        Assert.Contains("listening on http://127.0.0.1:", serve.Server.Output);
        await Task.CompletedTask;
    }
}

/// <summary>Serving on an address that is taken fails clearly, as bad input.</summary>
public sealed class AddressInUseTests
{
    [Fact]
    public async Task A_taken_address_exits_2_naming_the_problem()
    {
        using var dir = new TempDirectory("conveyor-port");
        using var taken = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0);
        taken.Start();
        var port = ((IPEndPoint)taken.LocalEndpoint).Port;
        var (code, _, all) = await ChildProcess.RunCliAsync(["serve", "--database", dir.File("p.db"), "--urls", $"http://127.0.0.1:{port}"], TimeSpan.FromSeconds(60), workingDirectory: dir.Path);
        Assert.True(code == 2, all);
        Assert.Contains("cannot listen", all);
    }
}

/// <summary>A server started with --api-key refuses /api calls without it.</summary>
public sealed class ApiKeyTests
{
    [Fact]
    public async Task Api_routes_need_the_key_health_does_not()
    {
        using var dir = new TempDirectory("conveyor-apikey");
        var url = $"http://127.0.0.1:{FreePort.Next()}";
        await using var server = ChildProcess.Cli(["serve", "--database", dir.File("k.db"), "--urls", url, "--api-key", "s3cret"], workingDirectory: dir.Path);
        await server.WaitForOutputAsync("Conveyor serve started", TimeSpan.FromSeconds(60));
        using var http = new HttpClient { BaseAddress = new Uri(url) };
        Assert.Equal(HttpStatusCode.Unauthorized, (await http.GetAsync("/api/jobs")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync("/healthz")).StatusCode);
        http.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", "s3cret");
        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync("/api/jobs")).StatusCode);
    }

    [Fact]
    public async Task Scoped_keys_read_cannot_operate_and_operate_can()
    {
        using var dir = new TempDirectory("conveyor-scopes");
        var url = $"http://127.0.0.1:{FreePort.Next()}";
        await using var server = ChildProcess.Cli(["serve", "--database", dir.File("s.db"), "--urls", url], workingDirectory: dir.Path,
            env: new Dictionary<string, string> { ["CONVEYOR_API_KEYS"] = "reader-key:read, ops-key:operate, worker-key:worker" });
        await server.WaitForOutputAsync("Conveyor serve started", TimeSpan.FromSeconds(60));
        Assert.DoesNotContain("reader-key", server.Output);
        using var http = new HttpClient { BaseAddress = new Uri(url) };
        HttpRequestMessage As(string key, HttpMethod method, string path, string? body = null)
        {
            var request = new HttpRequestMessage(method, path) { Content = body is null ? null : new StringContent(body, Encoding.UTF8, "application/json") };
            request.Headers.Add("X-Api-Key", key);
            return request;
        }

        Assert.Equal(HttpStatusCode.Unauthorized, (await http.SendAsync(As("nobody-key", HttpMethod.Get, "/api/jobs"))).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await http.SendAsync(As("reader-key", HttpMethod.Get, "/api/queues"))).StatusCode);
        var refused = await http.SendAsync(As("reader-key", HttpMethod.Post, "/api/jobs", """{"kind":"demo.noop"}"""));
        Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
        Assert.Contains("needs operate", (await refused.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("detail").GetString());
        Assert.Equal(HttpStatusCode.Forbidden, (await http.SendAsync(As("worker-key", HttpMethod.Get, "/api/jobs"))).StatusCode);

        var accepted = await http.SendAsync(As("ops-key", HttpMethod.Post, "/api/jobs", """{"kind":"demo.sleep","args":{"seconds":30},"delay":"1h"}"""));
        Assert.Equal(HttpStatusCode.Accepted, accepted.StatusCode);
        var id = (await accepted.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetInt64();
        Assert.Equal(HttpStatusCode.Forbidden, (await http.SendAsync(As("reader-key", HttpMethod.Post, $"/api/jobs/{id}/cancel"))).StatusCode);
        Assert.Equal("scheduled", (await (await http.SendAsync(As("reader-key", HttpMethod.Get, $"/api/jobs/{id}"))).Content.ReadFromJsonAsync<JsonElement>()).GetProperty("state").GetString());
        Assert.Equal(HttpStatusCode.OK, (await http.SendAsync(As("ops-key", HttpMethod.Post, $"/api/jobs/{id}/cancel"))).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await http.SendAsync(As("ops-key", HttpMethod.Get, $"/api/jobs/{id}"))).StatusCode);
    }

    [Fact]
    public async Task A_bad_scope_is_refused_at_start()
    {
        using var dir = new TempDirectory("conveyor-badscope");
        var (code, _, all) = await ChildProcess.RunCliAsync(["serve", "--database", dir.File("b.db"), "--urls", $"http://127.0.0.1:{FreePort.Next()}", "--api-keys", "k1:read,k2:superuser"], TimeSpan.FromSeconds(60));
        Assert.True(code == 2, all);
        Assert.Contains("unknown scope 'superuser'", all);
        Assert.DoesNotContain("k1", all.Replace("--api-keys", ""));
    }
}

/// <summary>SIGTERM during a long job: the job goes back to queued at once, not after its lease.</summary>
public sealed class GracefulShutdownTests
{
    [Fact]
    public async Task Sigterm_hands_running_jobs_back_to_queued_and_another_worker_completes_them()
    {
        using var dir = new TempDirectory("conveyor-graceful");
        var db = dir.File("g.db");
        await using var first = ChildProcess.Cli(["work", "--database", db, "--shutdown-timeout", "500ms", "--lease", "30s"], workingDirectory: dir.Path);
        await first.WaitForOutputAsync("Conveyor work started", TimeSpan.FromSeconds(60));
        // Long enough that it cannot end by itself while a loaded machine notices it running and delivers the SIGTERM
        // (each status call below is a whole CLI process); a 3 s job once completed inside that window under CI load.
        var (code, stdout, all) = await ChildProcess.RunCliAsync(["enqueue", "demo.sleep", "--args", """{"seconds":8,"steps":8}""", "--json", "--database", db]);
        Assert.True(code == 0, all);
        var id = JsonDocument.Parse(stdout).RootElement.GetProperty("id").GetInt64().ToString();

        for (var i = 0; i < 100 && !(await StatusAsync(db, id)).Contains("\"running\""); i++)
            await Task.Delay(100);
        Assert.Contains("\"running\"", await StatusAsync(db, id));
        first.Signal(15);
        Assert.Equal(0, await first.WaitForExitAsync(TimeSpan.FromSeconds(30)));
        Assert.Contains("handed back", first.Output);
        var status = JsonDocument.Parse(await StatusAsync(db, id)).RootElement;
        Assert.True(status.GetProperty("state").GetString() == "queued", $"job {id} is {status}; the worker said:\n{first.Output}");
        Assert.Equal(0, status.GetProperty("attempt").GetInt32());

        await using var second = ChildProcess.Cli(["work", "--database", db], workingDirectory: dir.Path);
        var (followCode, _, followAll) = await ChildProcess.RunCliAsync(["status", id, "--follow", "--database", db], TimeSpan.FromSeconds(60));
        Assert.True(followCode == 0, followAll);
    }

    [Fact]
    public async Task Sigterm_lets_running_jobs_finish_within_the_shutdown_timeout()
    {
        using var dir = new TempDirectory("conveyor-graceful-finish");
        var db = dir.File("f.db");
        await using var worker = ChildProcess.Cli(["work", "--database", db, "--shutdown-timeout", "30s"], workingDirectory: dir.Path);
        await worker.WaitForOutputAsync("Conveyor work started", TimeSpan.FromSeconds(60));
        var (_, stdout, _) = await ChildProcess.RunCliAsync(["enqueue", "demo.sleep", "--args", """{"seconds":4,"steps":4}""", "--json", "--database", db]);
        var id = JsonDocument.Parse(stdout).RootElement.GetProperty("id").GetInt64().ToString();
        for (var i = 0; i < 100 && !(await StatusAsync(db, id)).Contains("\"running\""); i++)
            await Task.Delay(100);
        Assert.Contains("\"running\"", await StatusAsync(db, id));

        var signalled = DateTime.UtcNow;
        worker.Signal(15);
        Assert.Equal(0, await worker.WaitForExitAsync(TimeSpan.FromSeconds(40)));
        var job = JsonDocument.Parse(await StatusAsync(db, id)).RootElement;
        Assert.Equal("completed", job.GetProperty("state").GetString());
        // SQLite stamps with this machine's clock: the job finished after the signal, so the worker waited for it.
        Assert.True(job.GetProperty("finishedAt").GetDateTimeOffset() >= signalled, $"finished {job.GetProperty("finishedAt")} before the signal at {signalled:O}");
    }

    private static async Task<string> StatusAsync(string db, string id) =>
        (await ChildProcess.RunCliAsync(["status", id, "--json", "--database", db])).Stdout;
}
