using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Conveyor.TestSupport;
using Xunit;

namespace Conveyor.Cli.Tests;

/// <summary>`serve --log-format json`: one JSON object per line, and what a handler logs carries its job's identity and trace.</summary>
public sealed class JsonLogTests
{
    [Fact]
    public async Task Every_line_is_json_and_a_handlers_log_carries_job_kind_queue_attempt_worker_and_trace()
    {
        using var dir = new TempDirectory("conveyor-jsonlog");
        var url = $"http://127.0.0.1:{FreePort.Next()}";
        await using var server = ChildProcess.Cli(["serve", "--database", dir.File("c.db"), "--urls", url, "--log-format", "json", "--worker-id", "json-worker",
            "--poll-interval", "200ms", "--handlers", RepoPaths.TestHandlersDll], workingDirectory: dir.Path);
        await server.WaitForOutputAsync("Conveyor serve started", TimeSpan.FromSeconds(60));
        using var http = new HttpClient { BaseAddress = new Uri(url) };
        var request = new HttpRequestMessage(HttpMethod.Post, "/api/jobs") { Content = new StringContent("""{"kind":"test.log","args":{"text":"hi"}}""", Encoding.UTF8, "application/json") };
        request.Headers.Add("traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01");
        var id = (await (await http.SendAsync(request)).Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetInt64();
        await server.WaitForOutputAsync("Handler says hi", TimeSpan.FromSeconds(30));

        var lines = server.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.All(lines, line => Assert.Equal(JsonValueKind.Object, JsonDocument.Parse(line).RootElement.ValueKind));
        var said = JsonDocument.Parse(lines.Single(l => l.Contains("Handler says hi", StringComparison.Ordinal))).RootElement;
        Assert.Equal(("Information", "Conveyor.TestHandlers.LogHandler"), (said.GetProperty("LogLevel").GetString(), said.GetProperty("Category").GetString()));
        var scope = said.GetProperty("Scopes").EnumerateArray().Single(s => s.TryGetProperty("JobId", out _));
        Assert.Equal((id, "test.log", "default", 1, "json-worker", "4bf92f3577b34da6a3ce929d0e0e4736"),
            (scope.GetProperty("JobId").GetInt64(), scope.GetProperty("Kind").GetString(), scope.GetProperty("Queue").GetString(),
             scope.GetProperty("Attempt").GetInt32(), scope.GetProperty("WorkerId").GetString(), scope.GetProperty("TraceId").GetString()));
        Assert.Equal(2, (await ChildProcess.RunCliAsync(["work", "--database", dir.File("c.db"), "--log-format", "xml"])).ExitCode);
    }
}
