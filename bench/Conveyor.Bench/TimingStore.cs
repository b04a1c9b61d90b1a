using System.Collections.Concurrent;
using System.Diagnostics;
using Conveyor.Storage;
using Conveyor.Testing;

namespace Conveyor.Bench;

/// <summary>With --trace: counts and times the store calls of a run, to see where a drain spends its time.</summary>
internal sealed class TimingStore(IConveyorStore inner) : DelegatingStore(inner)
{
    private readonly ConcurrentDictionary<string, (long Calls, long Ticks, long Items)> _calls = new();

    private async Task<T> Time<T>(string name, int items, Func<Task<T>> call)
    {
        var start = Stopwatch.GetTimestamp();
        try
        {
            return await call();
        }
        finally
        {
            var ticks = Stopwatch.GetTimestamp() - start;
            _calls.AddOrUpdate(name, (1, ticks, items), (_, v) => (v.Calls + 1, v.Ticks + ticks, v.Items + items));
        }
    }

    public override Task<IReadOnlyList<ClaimedJob>> JobClaimAsync(JobClaimParams p, CancellationToken ct) =>
        Time("claim", p.Max, () => base.JobClaimAsync(p, ct));

    public override Task<IReadOnlyList<AppliedOutcome>> JobApplyOutcomesAsync(JobApplyOutcomesParams p, CancellationToken ct) =>
        Time("finish", p.Outcomes.Count, () => base.JobApplyOutcomesAsync(p, ct));

    public override Task<JobHeartbeatResult> JobHeartbeatAsync(JobHeartbeatParams p, CancellationToken ct) =>
        Time("heartbeat", p.Jobs.Count, () => base.JobHeartbeatAsync(p, ct));

    public string Report() => string.Join("; ", _calls.OrderBy(c => c.Key).Select(c =>
        $"{c.Key}: {c.Value.Calls} calls, {Stopwatch.GetElapsedTime(0, c.Value.Ticks).TotalMilliseconds / c.Value.Calls:0.00} ms avg, {c.Value.Items / (double)c.Value.Calls:0.0} items avg, {Stopwatch.GetElapsedTime(0, c.Value.Ticks).TotalSeconds:0.00} s total"));
}
