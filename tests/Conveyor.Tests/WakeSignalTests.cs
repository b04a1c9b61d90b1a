using Conveyor.Execution;
using Xunit;

namespace Conveyor.Tests;

public sealed class WakeSignalTests
{
    [Fact]
    public async Task A_set_between_reset_and_wait_is_not_lost()
    {
        var signal = new WakeSignal();
        signal.Reset();
        signal.Set();
        var waited = Task.Run(() => signal.WaitAsync(TimeSpan.FromSeconds(30), TimeProvider.System, CancellationToken.None));
        Assert.Same(waited, await Task.WhenAny(waited, Task.Delay(TimeSpan.FromSeconds(5))));
    }

    [Fact]
    public async Task Reset_clears_a_consumed_signal_and_wait_times_out()
    {
        var signal = new WakeSignal();
        signal.Set();
        signal.Reset();
        var started = DateTime.UtcNow;
        await signal.WaitAsync(TimeSpan.FromMilliseconds(100), TimeProvider.System, CancellationToken.None);
        Assert.True(DateTime.UtcNow - started >= TimeSpan.FromMilliseconds(90));
    }

    [Fact]
    public async Task Cancellation_ends_the_wait()
    {
        var signal = new WakeSignal();
        using var cts = new CancellationTokenSource(50);
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => signal.WaitAsync(TimeSpan.FromSeconds(30), TimeProvider.System, cts.Token));
    }
}
