namespace Conveyor.TestSupport;

/// <summary>Several real `conveyor work` processes, for crash tests: kill one at random and start a replacement.</summary>
public sealed class WorkerFleet(Func<string, string[]> argsForWorkerId, IDictionary<string, string>? env = null) : IAsyncDisposable
{
    private readonly List<ChildProcess> _live = [];
    private readonly List<ChildProcess> _all = [];
    private readonly Random _random = new(12345);
    private int _started;

    public int Killed { get; private set; }

    public IReadOnlyList<ChildProcess> Live => _live;

    /// <summary>Everything every worker printed, for assertion messages and log checks.</summary>
    public string Output => string.Join("\n", _all.Select(p => p.Output));

    public async Task StartAsync(int count)
    {
        var started = new List<ChildProcess>();
        for (var i = 0; i < count; i++)
        {
            var child = ChildProcess.Cli(argsForWorkerId($"fleet-{++_started}"), env);
            _live.Add(child);
            _all.Add(child);
            started.Add(child);
        }
        foreach (var child in started)
            await child.WaitForOutputAsync("Conveyor work started", TimeSpan.FromSeconds(60));
    }

    /// <summary>What each kill-and-replace took, for the test log.</summary>
    public List<string> Timeline { get; } = [];

    /// <summary>
    /// SIGKILLs a random live worker (no chance to clean up) and starts a new one in its place without waiting
    /// for it to be ready, so that the kill cadence does not depend on how fast a loaded machine starts processes.
    /// </summary>
    public async Task KillRandomAndReplaceAsync()
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var victim = _live[_random.Next(_live.Count)];
        victim.Signal(9);
        await victim.WaitForExitAsync(TimeSpan.FromSeconds(10));
        _live.Remove(victim);
        Killed++;
        var killedAfter = clock.Elapsed;
        var child = ChildProcess.Cli(argsForWorkerId($"fleet-{++_started}"), env);
        _live.Add(child);
        _all.Add(child);
        Timeline.Add($"kill {Killed}: pid {victim.Id} gone after {killedAfter.TotalMilliseconds:0} ms, replacement pid {child.Id} started");
    }

    /// <summary>SIGTERMs every live worker and waits for each to exit; returns their exit codes.</summary>
    public async Task<int[]> StopAllAsync()
    {
        foreach (var child in _live)
            child.Signal(15);
        var codes = new List<int>();
        foreach (var child in _live)
            codes.Add(await child.WaitForExitAsync(TimeSpan.FromSeconds(60)));
        _live.Clear();
        return [.. codes];
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var child in _all)
            await child.DisposeAsync();
    }
}
