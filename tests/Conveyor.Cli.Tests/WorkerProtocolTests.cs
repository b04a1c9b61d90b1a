using Conveyor.TestSupport;
using Xunit;

namespace Conveyor.Cli.Tests;

/// <summary>The worker protocol (docs/worker-protocol.md), checked by its own checker against a real `conveyor serve` on SQLite.</summary>
public sealed class WorkerProtocolTests(ServeFixture serve) : IClassFixture<ServeFixture>
{
    [Fact]
    public async Task The_server_passes_the_worker_protocol_checker()
    {
        var (code, report) = await ChildProcess.CheckWorkerProtocolAsync(serve.Url);
        Assert.True(code == 0, report);
        Assert.Contains("14 checks, 14 passed, 0 failed", report);
    }
}
