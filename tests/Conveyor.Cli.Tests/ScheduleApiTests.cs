using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Xunit;

namespace Conveyor.Cli.Tests;

/// <summary>Schedules over HTTP and the CLI, against a real `conveyor serve` (which runs the scheduler).</summary>
public sealed class ScheduleApiTests(ServeFixture serve) : IClassFixture<ServeFixture>
{
    private static StringContent Json(string json) => new(json, Encoding.UTF8, "application/json");

    [Fact]
    public async Task A_schedule_defined_over_http_ticks_and_its_ledger_shows_each_fate()
    {
        var put = await serve.Http.PutAsync("/api/schedules/heartbeat", Json("""{"cron":"* * * * * *","kind":"demo.noop","args":{"from":"cron"},"missed":"all"}"""));
        Assert.Equal(HttpStatusCode.OK, put.StatusCode);
        var created = await put.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(("UTC", "all", "allow"), (created.GetProperty("timeZone").GetString(), created.GetProperty("missed").GetString(), created.GetProperty("overlap").GetString()));

        JsonElement page = default;
        for (var i = 0; i < 100; i++)
        {
            page = await serve.Http.GetFromJsonAsync<JsonElement>("/api/schedules/heartbeat");
            if (page.GetProperty("history").GetArrayLength() >= 2)
                break;
            await Task.Delay(100);
        }
        var history = page.GetProperty("history").EnumerateArray().ToList();
        Assert.True(history.Count >= 2, page.GetRawText());
        Assert.All(history, h => Assert.Equal("enqueued", h.GetProperty("fate").GetString()));
        var jobId = history[0].GetProperty("jobId").GetInt64();
        var job = await serve.Http.GetFromJsonAsync<JsonElement>($"/api/jobs/{jobId}");
        Assert.Equal("cron", job.GetProperty("args").GetProperty("from").GetString());

        Assert.Equal(HttpStatusCode.OK, (await serve.Http.PostAsync("/api/schedules/heartbeat/pause", null)).StatusCode);
        await Task.Delay(1500);
        var paused = await serve.Http.GetFromJsonAsync<JsonElement>("/api/schedules/heartbeat");
        Assert.True(paused.GetProperty("schedule").GetProperty("paused").GetBoolean());
        Assert.Equal("paused", paused.GetProperty("history")[0].GetProperty("fate").GetString());

        var triggered = await serve.Http.PostAsync("/api/schedules/heartbeat/trigger", null);
        Assert.Equal(HttpStatusCode.Accepted, triggered.StatusCode);
        var list = await serve.Http.GetFromJsonAsync<JsonElement>("/api/schedules");
        Assert.Contains(list.EnumerateArray(), s => s.GetProperty("name").GetString() == "heartbeat");

        Assert.Equal(HttpStatusCode.NoContent, (await serve.Http.DeleteAsync("/api/schedules/heartbeat")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await serve.Http.GetAsync("/api/schedules/heartbeat")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await serve.Http.PostAsync("/api/schedules/heartbeat/trigger", null)).StatusCode);
    }

    [Theory]
    [InlineData("""{"cron":"61 * * * *","kind":"demo.noop"}""", "Minutes")]
    [InlineData("""{"cron":"0 3 * * *","kind":"demo.noop","timeZone":"Moon/Base"}""", "Moon/Base")]
    [InlineData("""{"cron":"0 3 * * *"}""", "kind")]
    [InlineData("""{"cron":"0 3 * * *","kind":"demo.noop","missed":"sometimes"}""", "missed")]
    [InlineData("""{"cron":"0 3 * * *","kind":"demo.noop","jitter":"soon"}""", "jitter")]
    [InlineData("""{"cron":"0 3 * * *","kind":"demo.noop","color":"red"}""", "color")]
    [InlineData("""{"cron":"@every 1ms","kind":"demo.noop"}""", "at least 1s")]
    public async Task Bad_schedules_are_400_naming_the_problem_and_nothing_is_stored(string body, string named)
    {
        var response = await serve.Http.PutAsync("/api/schedules/bad-one", Json(body));
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains(named, (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("detail").GetString());
        Assert.Equal(HttpStatusCode.NotFound, (await serve.Http.GetAsync("/api/schedules/bad-one")).StatusCode);
    }

    [Fact]
    public async Task Preview_marks_daylight_saving_changes_over_http_and_in_the_cli()
    {
        var preview = await serve.Http.GetFromJsonAsync<JsonElement>("/api/schedules/preview?cron=" + Uri.EscapeDataString("0 12 * * 0") + "&tz=America/New_York&count=100");
        Assert.Equal(100, preview.GetArrayLength());
        Assert.Contains(preview.EnumerateArray(), p => p.GetProperty("offsetChanged").GetBoolean());
        Assert.Equal(HttpStatusCode.BadRequest, (await serve.Http.GetAsync("/api/schedules/preview?cron=nope")).StatusCode);

        var (code, stdout, _) = await serve.CliAsync("schedules", "preview", "--cron", "30 2 * * 0", "--tz", "Europe/Berlin", "--count", "60");
        Assert.Equal(0, code);
        Assert.Contains("daylight saving", stdout);
        var (bad, _, output) = await serve.CliAsync("schedules", "add", "x", "--cron", "* * *", "--kind", "demo.noop");
        Assert.Equal(2, bad);
        Assert.Contains("3 fields", output);
    }

    [Fact]
    public async Task The_cli_adds_lists_pauses_and_removes_schedules()
    {
        Assert.Equal(0, (await serve.CliAsync("schedules", "add", "nightly", "--cron", "0 3 * * *", "--tz", "Europe/Berlin", "--kind", "demo.noop", "--overlap", "skip")).ExitCode);
        var (code, stdout, _) = await serve.CliAsync("schedules", "list", "--json");
        Assert.Equal(0, code);
        var nightly = JsonDocument.Parse(stdout).RootElement.EnumerateArray().Single(s => s.GetProperty("definition").GetProperty("name").GetString() == "nightly");
        Assert.Equal("Europe/Berlin", nightly.GetProperty("definition").GetProperty("timeZone").GetString());
        Assert.Equal(0, (await serve.CliAsync("schedules", "pause", "nightly")).ExitCode);
        Assert.Equal(0, (await serve.CliAsync("schedules", "trigger", "nightly")).ExitCode);
        Assert.Contains("triggered", (await serve.CliAsync("schedules", "history", "nightly")).Stdout);
        Assert.Equal(0, (await serve.CliAsync("schedules", "remove", "nightly")).ExitCode);
        Assert.Equal(2, (await serve.CliAsync("schedules", "remove", "nightly")).ExitCode);
    }
}

/// <summary>Batches over HTTP and the CLI: counts, aggregate progress, live events for the batch.</summary>
public sealed class BatchApiTests(ServeFixture serve) : IClassFixture<ServeFixture>
{
    [Fact]
    public async Task A_batch_is_enqueued_in_one_call_followed_live_and_summed_until_done()
    {
        var jobs = string.Join(",", Enumerable.Range(0, 20).Select(i => i % 5 == 0
            ? """{"kind":"demo.fail","maxAttempts":1}"""
            : """{"kind":"demo.sleep","args":{"seconds":0.3,"steps":3}}"""));
        // Subscribed first (a page does so before it uploads), so that every change of the batch is heard.
        await using (var events = await SseClient.OpenAsync(serve.Http, "/api/events?batch=upload-42"))
        {
            var response = await serve.Http.PostAsync("/api/batches", new StringContent(
                $$$"""{"id":"upload-42","jobs":[{{{jobs}}}],"onComplete":{"kind":"demo.noop","args":{"report":true}},"onSuccess":{"kind":"demo.noop"}}""", Encoding.UTF8, "application/json"));
            Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
            Assert.Equal("/api/batches/upload-42", response.Headers.Location?.OriginalString);
            Assert.Equal(20, (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("jobs").GetArrayLength());
            var finished = new HashSet<long>();
            await events.ReadUntilAsync(e =>
            {
                Assert.Equal("upload-42", e.GetProperty("batchId").GetString());
                if (e.GetProperty("state").GetString() is "completed" or "failed")
                    finished.Add(e.GetProperty("id").GetInt64());
                return finished.Count == 20;
            }, TimeSpan.FromSeconds(60));
        }
        var batch = await serve.Http.GetFromJsonAsync<JsonElement>("/api/batches/upload-42");
        Assert.Equal((20, 20, true, 100.0), (batch.GetProperty("total").GetInt64(), batch.GetProperty("finished").GetInt64(), batch.GetProperty("done").GetBoolean(), batch.GetProperty("progress").GetDouble()));
        Assert.Equal((16, 4), (batch.GetProperty("counts").GetProperty("completed").GetInt64(), batch.GetProperty("counts").GetProperty("failed").GetInt64()));
        // The on-complete callback ran once, with the batch's outcome (4 failed: no on-success).
        JsonElement callbacks = default;
        for (var i = 0; i < 100; i++)
        {
            callbacks = await serve.Http.GetFromJsonAsync<JsonElement>("/api/jobs?kind=demo.noop&limit=500");
            if (callbacks.GetProperty("jobs").EnumerateArray().Any(j => j.GetProperty("args").TryGetProperty("batch", out _)))
                break;
            await Task.Delay(100);
        }
        var callback = Assert.Single(callbacks.GetProperty("jobs").EnumerateArray(), j => j.GetProperty("args").TryGetProperty("batch", out _));
        Assert.True(callback.GetProperty("args").GetProperty("report").GetBoolean());
        Assert.Equal(("failure", 4), (callback.GetProperty("args").GetProperty("batch").GetProperty("outcome").GetString(),
            callback.GetProperty("args").GetProperty("batch").GetProperty("failed").GetArrayLength()));
        Assert.Equal(HttpStatusCode.BadRequest, (await serve.Http.PostAsync("/api/batches", new StringContent("""{"id":"upload-42","jobs":[{"kind":"demo.noop"}],"onComplete":{"kind":"demo.noop"}}""", Encoding.UTF8, "application/json"))).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await serve.Http.GetAsync("/api/batches/nope")).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await serve.Http.PostAsync("/api/batches", new StringContent("""{"jobs":[{"kind":"bad kind"}]}""", Encoding.UTF8, "application/json"))).StatusCode);
    }

    [Fact]
    public async Task The_cli_enqueues_a_json_lines_file_as_a_batch()
    {
        var file = Path.Combine(serve.Directory, "batch.jsonl");
        await File.WriteAllLinesAsync(file, ["""{"kind":"demo.noop","args":{"n":1}}""", "", """{"kind":"demo.noop","args":{"n":2}}"""]);
        var (code, stdout, all) = await serve.CliAsync("batches", "add", file, "--id", "cli-batch", "--json");
        Assert.True(code == 0, all);
        Assert.Equal("cli-batch", JsonDocument.Parse(stdout).RootElement.GetProperty("batchId").GetString());
        for (var i = 0; i < 100 && !(await serve.Http.GetFromJsonAsync<JsonElement>("/api/batches/cli-batch")).GetProperty("done").GetBoolean(); i++)
            await Task.Delay(100);
        var (statusCode, status, _) = await serve.CliAsync("batches", "status", "cli-batch");
        Assert.Equal(0, statusCode);
        Assert.Contains("2 of 2 finished, 100%", status);
        await File.WriteAllLinesAsync(file, ["""{"kind":"demo.noop"}""", "not json"]);
        var (bad, _, output) = await serve.CliAsync("batches", "add", file);
        Assert.Equal(2, bad);
        Assert.Contains("line 2", output);
    }
}
