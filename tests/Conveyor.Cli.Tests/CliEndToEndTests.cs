using System.Net.Http.Json;
using System.Text.Json;
using Conveyor.TestSupport;
using Xunit;

namespace Conveyor.Cli.Tests;

/// <summary>The real `conveyor` executable against a real `conveyor serve` process.</summary>
public sealed class CliEndToEndTests(ServeFixture serve) : IClassFixture<ServeFixture>
{
    [Fact]
    public async Task Enqueue_with_wait_shows_progress_and_exits_0_with_the_result_stored()
    {
        var (code, stdout, all) = await serve.CliAsync("enqueue", "demo.sleep", "--args", """{"seconds":1,"steps":4}""", "--wait");
        Assert.True(code == 0, all);
        Assert.Contains("step 4 of 4", stdout);
        Assert.Contains("""result: {"slept":1,"steps":4}""", stdout);

        var id = long.Parse(stdout.Split('\n')[0].Split(' ')[2].TrimEnd(';'));
        var job = await serve.Http.GetFromJsonAsync<JsonElement>($"/api/jobs/{id}");
        Assert.Equal("completed", job.GetProperty("state").GetString());
        Assert.Equal(4, job.GetProperty("result").GetProperty("steps").GetInt32());
        Assert.Equal(100, job.GetProperty("progress").GetProperty("percent").GetInt32());
    }

    [Fact]
    public async Task Enqueue_with_wait_exits_1_when_the_job_fails()
    {
        var (code, stdout, all) = await serve.CliAsync("enqueue", "demo.fail", "--max-attempts", "1", "--wait");
        Assert.True(code == 1, all);
        Assert.Contains("demo.fail always fails", stdout);
    }

    [Fact]
    public async Task Wait_with_json_prints_exactly_one_json_document()
    {
        var (code, stdout, all) = await serve.CliAsync("enqueue", "demo.sleep", "--args", """{"seconds":0.1,"steps":1}""", "--wait", "--json");
        Assert.True(code == 0, all);
        var job = JsonDocument.Parse(stdout).RootElement;
        Assert.Equal("completed", job.GetProperty("state").GetString());
    }

    [Fact]
    public async Task Malformed_args_exit_2_and_enqueue_nothing()
    {
        var before = await CountJobsAsync();
        var (code, _, all) = await serve.CliAsync("enqueue", "demo.sleep", "--args", "{seconds:1");
        Assert.Equal(2, code);
        Assert.Contains("not valid JSON", all);
        Assert.Equal(before, await CountJobsAsync());
    }

    [Fact]
    public async Task Bad_usage_exits_2()
    {
        Assert.Equal(2, (await serve.CliAsync("enqueue", "demo.sleep", "--no-such-flag")).ExitCode);
        Assert.Equal(2, (await serve.CliAsync("enqueue", "demo.sleep", "--delay", "soon")).ExitCode);
        Assert.Equal(2, (await serve.CliAsync("jobs", "--state", "sleeping")).ExitCode);
        Assert.Equal(2, (await serve.CliAsync("status", "not-a-number")).ExitCode);
        Assert.Equal(2, (await serve.CliAsync("cancel", "99999999")).ExitCode);
        Assert.Equal(2, (await serve.CliAsync("work", "--concurrency", "0")).ExitCode);
    }

    [Fact]
    public async Task Unreachable_store_exits_3()
    {
        var port = FreePort.Next();
        var (code, _, all) = await ChildProcess.RunCliAsync(["jobs", "--database", $"Host=127.0.0.1;Port={port};Username=x;Timeout=2"], TimeSpan.FromSeconds(60));
        Assert.True(code == 3, all);
        Assert.Contains("unreachable", all);
        var (sqliteCode, _, sqliteAll) = await ChildProcess.RunCliAsync(["jobs", "--database", "/proc/no-such-place/jobs.db"], TimeSpan.FromSeconds(60));
        Assert.True(sqliteCode == 3, sqliteAll);
    }

    [Fact]
    public async Task Read_commands_print_json_for_scripts()
    {
        var (code, stdout, all) = await serve.CliAsync("enqueue", "demo.sleep", "--args", """{"seconds":0}""", "--queue", "scripts", "--json");
        Assert.True(code == 0, all);
        var id = JsonDocument.Parse(stdout).RootElement.GetProperty("id").GetInt64();

        var jobs = JsonDocument.Parse((await serve.CliAsync("jobs", "--queue", "scripts", "--json")).Stdout).RootElement;
        Assert.Contains(jobs.GetProperty("jobs").EnumerateArray(), j => j.GetProperty("id").GetInt64() == id);

        var status = JsonDocument.Parse((await serve.CliAsync("status", id.ToString(), "--json")).Stdout).RootElement;
        Assert.Equal("demo.sleep", status.GetProperty("kind").GetString());

        var queues = JsonDocument.Parse((await serve.CliAsync("queues", "--json")).Stdout).RootElement;
        Assert.Contains(queues.EnumerateArray(), q => q.GetProperty("queue").GetString() == "scripts");
    }

    [Fact]
    public async Task Cancel_and_retry_from_the_command_line()
    {
        var (_, stdout, _) = await serve.CliAsync("enqueue", "demo.sleep", "--args", """{"seconds":1}""", "--delay", "1h", "--json");
        var id = JsonDocument.Parse(stdout).RootElement.GetProperty("id").GetInt64().ToString();
        var (cancelCode, cancelOut, _) = await serve.CliAsync("cancel", id);
        Assert.Equal(0, cancelCode);
        Assert.Contains("cancelled", cancelOut);
        var (retryCode, _, retryAll) = await serve.CliAsync("retry", id);
        Assert.True(retryCode == 0, retryAll);
        var (followCode, _, followAll) = await serve.CliAsync("status", id, "--follow");
        Assert.True(followCode == 0, followAll);
        Assert.Equal(2, (await serve.CliAsync("retry", id)).ExitCode);
    }

    [Fact]
    public async Task From_file_enqueues_many_in_one_call()
    {
        var file = Path.Combine(serve.Directory, "jobs.jsonl");
        await File.WriteAllLinesAsync(file, Enumerable.Range(0, 50).Select(_ => """{"kind":"demo.noop","queue":"bulk","args":{}}"""));
        var (code, stdout, all) = await serve.CliAsync("enqueue", "--from-file", file, "--json");
        Assert.True(code == 0, all);
        Assert.Equal(50, JsonDocument.Parse(stdout).RootElement.GetProperty("jobs").GetArrayLength());

        await File.WriteAllTextAsync(file, "{\"kind\":\"demo.noop\"}\nnot json\n");
        var bad = await serve.CliAsync("enqueue", "--from-file", file);
        Assert.Equal(2, bad.ExitCode);
        Assert.Contains("line 2", bad.All);
    }

    [Fact]
    public async Task Environment_variables_configure_the_cli()
    {
        var env = new Dictionary<string, string> { ["CONVEYOR_DATABASE"] = serve.Database };
        var (code, stdout, all) = await ChildProcess.RunCliAsync(["queues", "--json"], TimeSpan.FromSeconds(60), env);
        Assert.True(code == 0, all);
        Assert.Equal(JsonValueKind.Array, JsonDocument.Parse(stdout).RootElement.ValueKind);
    }

    private async Task<int> CountJobsAsync()
    {
        var page = await serve.Http.GetFromJsonAsync<JsonElement>("/api/jobs?limit=1000");
        return page.GetProperty("jobs").GetArrayLength();
    }
}
