using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Xunit;

namespace Conveyor.Cli.Tests;

/// <summary>Job dependencies over HTTP and the CLI, run by a real `conveyor serve`.</summary>
public sealed class DependencyApiTests(ServeFixture serve) : IClassFixture<ServeFixture>
{
    private static StringContent Json(string json) => new(json, Encoding.UTF8, "application/json");

    [Fact]
    public async Task A_diamond_in_one_batch_runs_in_order_and_the_last_job_reads_both_results()
    {
        var response = await serve.Http.PostAsync("/api/batches", Json("""
            {"id":"diamond","jobs":[
              {"ref":"fetch","kind":"demo.sleep","args":{"seconds":0.2,"steps":1}},
              {"ref":"left","kind":"demo.sleep","args":{"seconds":0.1,"steps":1},"dependsOn":["fetch"],"weight":3},
              {"ref":"right","kind":"demo.sleep","args":{"seconds":0.3,"steps":1},"dependsOn":["fetch"]},
              {"kind":"demo.collect","dependsOn":["left",{"ref":"right","onFailure":"fail"}]}]}
            """));
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var ids = (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("jobs").EnumerateArray().Select(j => j.GetProperty("id").GetInt64()).ToList();
        var waiting = await serve.Http.GetFromJsonAsync<JsonElement>($"/api/jobs/{ids[3]}");
        Assert.Equal("waiting", waiting.GetProperty("state").GetString());
        Assert.Equal([ids[1], ids[2]], waiting.GetProperty("dependencies").EnumerateArray().Select(d => d.GetProperty("jobId").GetInt64()));

        var collect = await serve.WaitFinishedAsync(ids[3]);
        Assert.Equal("completed", collect.GetProperty("state").GetString());
        var jobs = new List<JsonElement>();
        foreach (var id in ids.Take(3))
            jobs.Add(await serve.Http.GetFromJsonAsync<JsonElement>($"/api/jobs/{id}"));
        DateTimeOffset At(JsonElement job, string field) => job.GetProperty(field).GetDateTimeOffset();
        Assert.True(At(jobs[1], "startedAt") >= At(jobs[0], "finishedAt"));
        Assert.True(At(jobs[2], "startedAt") >= At(jobs[0], "finishedAt"));
        Assert.True(At(collect, "startedAt") >= At(jobs[1], "finishedAt") && At(collect, "startedAt") >= At(jobs[2], "finishedAt"));
        var results = collect.GetProperty("result").GetProperty("dependencies").EnumerateArray().ToList();
        Assert.Equal([0.1, 0.3], results.Select(r => r.GetProperty("result").GetProperty("slept").GetDouble()));
        Assert.Equal(3, jobs[1].GetProperty("weight").GetDouble());
    }

    [Fact]
    public async Task A_cycle_an_unknown_ref_or_an_unknown_id_is_refused_and_nothing_is_enqueued()
    {
        var before = (await serve.Http.GetFromJsonAsync<JsonElement>("/api/jobs?kind=demo.collect&limit=500")).GetProperty("jobs").GetArrayLength();
        var cycle = await serve.Http.PostAsync("/api/jobs/bulk", Json("""{"jobs":[{"ref":"a","kind":"demo.collect","dependsOn":["b"]},{"ref":"b","kind":"demo.collect","dependsOn":["a"]}]}"""));
        Assert.Equal(HttpStatusCode.BadRequest, cycle.StatusCode);
        Assert.Contains("cycle: 'a' -> 'b' -> 'a'", await cycle.Content.ReadAsStringAsync());
        var unknownRef = await serve.Http.PostAsync("/api/jobs", Json("""{"kind":"demo.collect","dependsOn":["nope"]}"""));
        Assert.Equal(HttpStatusCode.BadRequest, unknownRef.StatusCode);
        var unknownId = await serve.Http.PostAsync("/api/jobs", Json("""{"kind":"demo.collect","dependsOn":[999999999]}"""));
        Assert.Equal(HttpStatusCode.BadRequest, unknownId.StatusCode);
        Assert.Contains("999999999", await unknownId.Content.ReadAsStringAsync());
        var badPolicy = await serve.Http.PostAsync("/api/jobs", Json("""{"kind":"demo.collect","dependsOn":[{"id":1,"onFailure":"maybe"}]}"""));
        Assert.Equal(HttpStatusCode.BadRequest, badPolicy.StatusCode);
        Assert.Equal(before, (await serve.Http.GetFromJsonAsync<JsonElement>("/api/jobs?kind=demo.collect&limit=500")).GetProperty("jobs").GetArrayLength());
    }

    [Fact]
    public async Task The_cli_enqueues_with_depends_on_and_a_failed_dependency_fails_the_job_unless_ignored()
    {
        var (code, stdout, all) = await serve.CliAsync("enqueue", "demo.fail", "--max-attempts", "1", "--json");
        Assert.True(code == 0, all);
        var failing = JsonDocument.Parse(stdout).RootElement.GetProperty("id").GetInt64();
        var strict = await serve.CliAsync("enqueue", "demo.collect", "--depends-on", failing.ToString(), "--json");
        var tolerant = await serve.CliAsync("enqueue", "demo.collect", "--depends-on", $"{failing}:ignore", "--wait");
        Assert.True(tolerant.ExitCode == 0, tolerant.All);
        var strictJob = await serve.WaitFinishedAsync(JsonDocument.Parse(strict.Stdout).RootElement.GetProperty("id").GetInt64());
        Assert.Equal("failed", strictJob.GetProperty("state").GetString());
        Assert.Equal("DependencyFailed", strictJob.GetProperty("errors")[0].GetProperty("type").GetString());
        Assert.Equal(0, strictJob.GetProperty("attempt").GetInt32());

        var bad = await serve.CliAsync("enqueue", "demo.collect", "--depends-on", "x:y");
        Assert.Equal(2, bad.ExitCode);
        Assert.Contains("--depends-on", bad.All);
    }
}
