using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Conveyor.TestSupport;
using Xunit;

namespace Conveyor.Cli.Tests;

/// <summary>Server-sent events, pause and resume, delete and bulk actions over a real `conveyor serve`.</summary>
public sealed class EventsApiTests(ServeFixture serve) : IClassFixture<ServeFixture>
{
    private static StringContent Json(string json) => new(json, Encoding.UTF8, "application/json");

    private async Task<long> EnqueueAsync(string json)
    {
        var response = await serve.Http.PostAsync("/api/jobs", Json(json));
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        return (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetInt64();
    }

    private async Task<JsonElement> WaitStateAsync(long id, string state)
    {
        for (var i = 0; i < 300; i++)
        {
            var job = await serve.Http.GetFromJsonAsync<JsonElement>($"/api/jobs/{id}");
            if (job.GetProperty("state").GetString() == state)
                return job;
            await Task.Delay(100);
        }
        throw new TimeoutException($"job {id} never reached {state}");
    }

    private static string State(JsonElement e) => e.GetProperty("state").GetString()!;

    [Fact]
    public async Task Events_written_by_a_worker_in_another_process_reach_a_subscriber()
    {
        // The server works only "default"; a separate `conveyor work` process runs the "remote" queue.
        await using var worker = ChildProcess.Cli(["work", "--database", serve.Database, "--queues", "remote", "--poll-interval", "200ms"], workingDirectory: serve.Directory);
        await worker.WaitForOutputAsync("Conveyor work started", TimeSpan.FromSeconds(60));
        var id = await EnqueueAsync("""{"kind":"demo.sleep","queue":"remote","args":{"seconds":1.2,"steps":4}}""");
        await using var events = await SseClient.OpenAsync(serve.Http, $"/api/events?job={id}");
        Assert.Equal(HttpStatusCode.OK, events.Status);
        var seen = await events.ReadUntilAsync(e => State(e) == "completed", TimeSpan.FromSeconds(30));
        Assert.All(seen, e => Assert.Equal("job", e.Event));
        Assert.All(seen, e => Assert.Matches(new Regex(@"^-?\d+-\d+$"), e.Id!));
        Assert.Contains(seen, e => State(e.Data) == "running" && e.Data.GetProperty("progress").ValueKind == JsonValueKind.Object
            && e.Data.GetProperty("progress").GetProperty("percent").GetInt32() is > 0 and < 100);
        var done = seen[^1].Data;
        Assert.Equal(100, done.GetProperty("progress").GetProperty("percent").GetInt32());
        Assert.Equal(4, done.GetProperty("result").GetProperty("steps").GetInt32());
        Assert.False(done.TryGetProperty("args", out _), "events never carry args");
        Assert.Equal(seen.Count, seen.Select(e => e.Id).Distinct().Count());
    }

    [Fact]
    public async Task Reconnecting_with_Last_Event_ID_delivers_what_was_missed_once()
    {
        var id = await EnqueueAsync("""{"kind":"demo.sleep","args":{"seconds":1,"steps":2}}""");
        string firstId;
        await using (var first = await SseClient.OpenAsync(serve.Http, $"/api/events?job={id}"))
            firstId = (await first.NextAsync(TimeSpan.FromSeconds(10)))!.Value.Id!;
        await WaitStateAsync(id, "completed");

        await using var resumed = await SseClient.OpenAsync(serve.Http, $"/api/events?job={id}", lastEventId: firstId);
        var missed = await resumed.NextAsync(TimeSpan.FromSeconds(10));
        Assert.NotNull(missed);
        Assert.Equal("completed", State(missed.Value.Data));
        Assert.NotEqual(firstId, missed.Value.Id);
        // Once: nothing more follows for a finished job.
        Assert.Null(await resumed.NextAsync(TimeSpan.FromSeconds(1.5)));

        await using var bad = await SseClient.OpenAsync(serve.Http, $"/api/events?job={id}", lastEventId: "not-an-id");
        Assert.Equal(HttpStatusCode.BadRequest, bad.Status);
        await using var unknown = await SseClient.OpenAsync(serve.Http, "/api/events?job=987654321");
        Assert.Equal(HttpStatusCode.NotFound, unknown.Status);
    }

    [Fact]
    public async Task A_queue_stream_hears_every_job_of_its_queue_and_nothing_else()
    {
        await using var events = await SseClient.OpenAsync(serve.Http, "/api/events?queue=default");
        var a = await EnqueueAsync("""{"kind":"demo.noop"}""");
        var b = await EnqueueAsync("""{"kind":"demo.noop"}""");
        await EnqueueAsync("""{"kind":"demo.noop","queue":"elsewhere"}""");
        var completed = new HashSet<long>();
        await events.ReadUntilAsync(e =>
        {
            Assert.Equal("default", e.GetProperty("queue").GetString());
            if (State(e) == "completed")
                completed.Add(e.GetProperty("id").GetInt64());
            return completed.IsSupersetOf([a, b]);
        }, TimeSpan.FromSeconds(20));
    }

    [Fact]
    public async Task A_paused_queue_holds_its_jobs_until_resumed()
    {
        var paused = await serve.Http.PostAsync("/api/queues/default/pause", null);
        Assert.Equal(HttpStatusCode.OK, paused.StatusCode);
        try
        {
            var id = await EnqueueAsync("""{"kind":"demo.noop"}""");
            await Task.Delay(1500);
            Assert.Equal("queued", State(await serve.Http.GetFromJsonAsync<JsonElement>($"/api/jobs/{id}")));
            var queues = await serve.Http.GetFromJsonAsync<JsonElement>("/api/queues");
            Assert.Contains(queues.EnumerateArray(), q => q.GetProperty("queue").GetString() == "default" && q.GetProperty("paused").GetBoolean());
            Assert.Equal(HttpStatusCode.OK, (await serve.Http.PostAsync("/api/queues/default/resume", null)).StatusCode);
            await WaitStateAsync(id, "completed");
        }
        finally
        {
            await serve.Http.PostAsync("/api/queues/default/resume", null);
        }
        Assert.Equal(HttpStatusCode.BadRequest, (await serve.Http.PostAsync("/api/queues/bad%20name/pause", null)).StatusCode);
    }

    [Fact]
    public async Task Delete_removes_a_finished_job_and_refuses_a_running_one()
    {
        var done = await EnqueueAsync("""{"kind":"demo.noop"}""");
        await WaitStateAsync(done, "completed");
        Assert.Equal(HttpStatusCode.NoContent, (await serve.Http.DeleteAsync($"/api/jobs/{done}")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await serve.Http.GetAsync($"/api/jobs/{done}")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await serve.Http.DeleteAsync($"/api/jobs/{done}")).StatusCode);

        var running = await EnqueueAsync("""{"kind":"demo.sleep","args":{"seconds":10,"steps":10}}""");
        await WaitStateAsync(running, "running");
        var refused = await serve.Http.DeleteAsync($"/api/jobs/{running}");
        Assert.Equal(HttpStatusCode.Conflict, refused.StatusCode);
        Assert.Contains("Cancel it first", await refused.Content.ReadAsStringAsync());
        await serve.Http.PostAsync($"/api/jobs/{running}/cancel", null);
        await WaitStateAsync(running, "cancelled");
    }

    [Fact]
    public async Task A_bulk_action_works_through_everything_its_filter_selects()
    {
        var jobs = string.Join(",", Enumerable.Range(0, 1200).Select(i => "{\"kind\":\"demo.noop\",\"queue\":\"bulk-parked\",\"tags\":[\"bulk-cancel\"],\"args\":{\"i\":" + i + "}}"));
        Assert.Equal(HttpStatusCode.Accepted, (await serve.Http.PostAsync("/api/jobs/bulk", Json($"[{jobs}]"))).StatusCode);
        var start = await serve.Http.PostAsync("/api/jobs/actions", Json("""{"action":"cancel","filter":{"tag":"bulk-cancel","queue":"bulk-parked"}}"""));
        Assert.Equal(HttpStatusCode.Accepted, start.StatusCode);
        var operation = await start.Content.ReadFromJsonAsync<JsonElement>();
        Assert.NotNull(start.Headers.Location);
        JsonElement progress;
        var polls = 0;
        do
        {
            await Task.Delay(100);
            progress = await serve.Http.GetFromJsonAsync<JsonElement>($"/api/jobs/actions/{operation.GetProperty("id").GetString()}");
        } while (!progress.GetProperty("done").GetBoolean() && ++polls < 300);
        Assert.Equal((1200, 1200, 1200), (progress.GetProperty("total").GetInt64(), progress.GetProperty("processed").GetInt64(), progress.GetProperty("changed").GetInt64()));
        var left = await serve.Http.GetFromJsonAsync<JsonElement>("/api/jobs?queue=bulk-parked&state=queued");
        Assert.Empty(left.GetProperty("jobs").EnumerateArray());

        foreach (var bad in new[] { """{"action":"explode"}""", """{"action":"retry","filter":{"color":"red"}}""", """{"action":"retry","filter":{"args":"x"}}""",
                     """{"action":"retry","filter":{"state":"nope"}}""", """[1]""" })
            Assert.Equal(HttpStatusCode.BadRequest, (await serve.Http.PostAsync("/api/jobs/actions", Json(bad))).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await serve.Http.GetAsync("/api/jobs/actions/nope")).StatusCode);
    }

    [Fact]
    public async Task Sql_looking_strings_in_every_field_are_stored_verbatim_and_searchable()
    {
        const string sql = "x'); DROP TABLE conveyor_jobs; --";
        var body = JsonSerializer.Serialize(new
        {
            kind = "demo.noop", queue = "sql-parked", args = new { name = sql, nested = new { q = "' OR '1'='1" } },
            tags = new[] { sql }, uniqueKey = sql, batchId = "sql-batch",
        });
        var id = await EnqueueAsync(body);
        var job = await serve.Http.GetFromJsonAsync<JsonElement>($"/api/jobs/{id}");
        Assert.Equal(sql, job.GetProperty("args").GetProperty("name").GetString());
        Assert.Equal((sql, sql), (job.GetProperty("uniqueKey").GetString(), job.GetProperty("tags")[0].GetString()));
        var byTag = await serve.Http.GetFromJsonAsync<JsonElement>($"/api/jobs?tag={Uri.EscapeDataString(sql)}");
        Assert.Equal(id, byTag.GetProperty("jobs")[0].GetProperty("id").GetInt64());
        var byArgs = await serve.Http.GetFromJsonAsync<JsonElement>($"/api/jobs?args={Uri.EscapeDataString("""{"nested":{"q":"' OR '1'='1"}}""")}");
        Assert.Equal(id, Assert.Single(byArgs.GetProperty("jobs").EnumerateArray()).GetProperty("id").GetInt64());
        var byBatch = await serve.Http.GetFromJsonAsync<JsonElement>($"/api/jobs?batch={Uri.EscapeDataString(sql)}");
        Assert.Empty(byBatch.GetProperty("jobs").EnumerateArray());
        // Names (kind, queue, batch) are validated: a clear 400 that writes nothing.
        Assert.Equal(HttpStatusCode.BadRequest, (await serve.Http.PostAsync("/api/jobs", Json(JsonSerializer.Serialize(new { kind = "demo.noop", batchId = sql })))).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await serve.Http.GetAsync($"/api/jobs?state={Uri.EscapeDataString(sql)}")).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await serve.Http.GetAsync($"/api/jobs?args={Uri.EscapeDataString("[1]")}")).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await serve.Http.PostAsync("/api/jobs", Json(JsonSerializer.Serialize(new { kind = sql })))).StatusCode);
        // The table is still there and still answers.
        Assert.Equal(HttpStatusCode.OK, (await serve.Http.GetAsync("/api/queues")).StatusCode);
    }

    [Fact]
    public async Task Cross_site_writes_are_refused_and_forwarded_for_changes_nothing_without_a_trusted_proxy()
    {
        var evil = new HttpRequestMessage(HttpMethod.Post, "/api/queues/xsite/pause");
        evil.Headers.Add("Origin", "http://evil.example");
        Assert.Equal(HttpStatusCode.Forbidden, (await serve.Http.SendAsync(evil)).StatusCode);
        var fetchSite = new HttpRequestMessage(HttpMethod.Post, "/api/queues/xsite/pause");
        fetchSite.Headers.Add("Sec-Fetch-Site", "cross-site");
        Assert.Equal(HttpStatusCode.Forbidden, (await serve.Http.SendAsync(fetchSite)).StatusCode);
        var sameOrigin = new HttpRequestMessage(HttpMethod.Post, "/api/queues/xsite/pause");
        sameOrigin.Headers.Add("Origin", serve.Url);
        Assert.Equal(HttpStatusCode.OK, (await serve.Http.SendAsync(sameOrigin)).StatusCode);

        var forwarded = new HttpRequestMessage(HttpMethod.Get, "/api/queues");
        forwarded.Headers.Add("X-Forwarded-For", "203.0.113.7");
        Assert.Equal(HttpStatusCode.OK, (await serve.Http.SendAsync(forwarded)).StatusCode);
    }

    [Fact]
    public async Task The_dashboard_is_served_with_its_security_headers()
    {
        var page = await serve.Http.GetAsync("/");
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        var csp = string.Join(";", page.Headers.GetValues("Content-Security-Policy"));
        Assert.Contains("script-src 'self'", csp);
        Assert.DoesNotContain("unsafe-inline", csp);
        var html = await page.Content.ReadAsStringAsync();
        Assert.DoesNotMatch(new Regex("<script>|<script [^>]*>[^<]+</script>|\\sstyle=|\\son[a-z]+="), html);
        Assert.Contains("content=\"none\"", html); // no key configured: no sign-in
        Assert.Equal(HttpStatusCode.OK, (await serve.Http.GetAsync("/assets/app.js")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await serve.Http.GetAsync("/assets/secret.txt")).StatusCode);
    }
}
