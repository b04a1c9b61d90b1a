using System.Net.Http.Json;
using System.Text.Json;
using Conveyor.TestSupport;
using Xunit;

namespace Conveyor.Cli.Tests;

/// <summary>One real `conveyor serve` process on a SQLite file and a free loopback port, shared by a test class.</summary>
public sealed class ServeFixture : IAsyncLifetime
{
    private readonly TempDirectory _dir = new("conveyor-cli");
    private ChildProcess? _server;

    public string Database => _dir.File("conveyor.db");
    public string Url { get; } = $"http://127.0.0.1:{FreePort.Next()}";
    public HttpClient Http { get; private set; } = null!;
    public ChildProcess Server => _server!;
    public string Directory => _dir.Path;

    public async Task InitializeAsync()
    {
        _server = ChildProcess.Cli(["serve", "--database", Database, "--urls", Url, "--concurrency", "4", "--poll-interval", "200ms"], workingDirectory: _dir.Path);
        await _server.WaitForOutputAsync("Conveyor serve started", TimeSpan.FromSeconds(60));
        Http = new HttpClient { BaseAddress = new Uri(Url), Timeout = TimeSpan.FromSeconds(30) };
    }

    /// <summary>Runs a CLI command against this server's database.</summary>
    /// <summary>Reads the job over the API until it is finished (30 s at most).</summary>
    public async Task<JsonElement> WaitFinishedAsync(long id)
    {
        for (var i = 0; i < 300; i++)
        {
            var job = await Http.GetFromJsonAsync<JsonElement>($"/api/jobs/{id}");
            if (job.GetProperty("state").GetString() is "completed" or "failed" or "cancelled")
                return job;
            await Task.Delay(100);
        }
        throw new TimeoutException($"job {id} did not finish");
    }

    public Task<(int ExitCode, string Stdout, string All)> CliAsync(params string[] args) =>
        ChildProcess.RunCliAsync([.. args, "--database", Database], TimeSpan.FromSeconds(90), workingDirectory: _dir.Path);

    public async Task DisposeAsync()
    {
        Http?.Dispose();
        if (_server is not null)
            await _server.DisposeAsync();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        _dir.Dispose();
    }
}
