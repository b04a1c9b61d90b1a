using System.Text.Json;
using Conveyor.TestSupport;
using Xunit;

namespace Conveyor.Cli.Tests;

/// <summary>conveyor drain: runs what is ready now (up to --max) and exits 0 when all it ran completed, 1 otherwise.</summary>
public sealed class DrainCommandTests : IDisposable
{
    private readonly TempDirectory _dir = new("conveyor-drain");

    private Task<(int ExitCode, string Stdout, string All)> Cli(params string[] args) =>
        ChildProcess.RunCliAsync([.. args, "--database", _dir.File("d.db")], TimeSpan.FromSeconds(90), workingDirectory: _dir.Path);

    [Fact]
    public async Task Drain_runs_what_is_ready_up_to_max_and_says_how_it_ended()
    {
        for (var i = 0; i < 5; i++)
            Assert.Equal(0, (await Cli("enqueue", "demo.noop")).ExitCode);
        Assert.Equal(0, (await Cli("enqueue", "demo.noop", "--delay", "1h")).ExitCode); // not ready: left alone

        var (code, stdout, all) = await Cli("drain", "--max", "2", "--json");
        Assert.True(code == 0, all);
        var result = JsonDocument.Parse(stdout).RootElement;
        Assert.Equal((2, 2, 0), (result.GetProperty("ran").GetInt32(), result.GetProperty("completed").GetInt32(), result.GetProperty("notCompleted").GetInt32()));

        Assert.Equal(0, (await Cli("enqueue", "demo.fail", "--max-attempts", "1")).ExitCode);
        (code, stdout, all) = await Cli("drain", "--json");
        Assert.True(code == 1, all);
        result = JsonDocument.Parse(stdout).RootElement;
        Assert.Equal((4, 3, 1), (result.GetProperty("ran").GetInt32(), result.GetProperty("completed").GetInt32(), result.GetProperty("notCompleted").GetInt32()));

        var queues = JsonDocument.Parse((await Cli("queues", "--json")).Stdout).RootElement[0].GetProperty("counts");
        Assert.Equal((5, 1, 1, 0), (queues.GetProperty("completed").GetInt32(), queues.GetProperty("failed").GetInt32(), queues.GetProperty("scheduled").GetInt32(), queues.GetProperty("queued").GetInt32()));
        Assert.Equal(2, (await Cli("drain", "--max", "0")).ExitCode);
    }

    public void Dispose()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        _dir.Dispose();
    }
}
