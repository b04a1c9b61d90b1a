using System.Collections.Concurrent;
using System.Diagnostics.Tracing;

namespace Conveyor.Bench;

/// <summary>
/// --alloc-profile: what the process allocates, by type, from the runtime's allocation sampling (an event about every
/// 100 KB, naming the type that crossed the mark), over every run but the first (start-up and JIT). Cheap enough to leave
/// the rates near the unprofiled ones; its shares, not its totals, are the figure to read.
/// </summary>
internal sealed class AllocationProfile : EventListener
{
    private const EventKeywords GcKeyword = (EventKeywords)0x1;
    private readonly ConcurrentDictionary<string, long> _bytes = new(StringComparer.Ordinal);

    protected override void OnEventSourceCreated(EventSource source)
    {
        if (source.Name == "Microsoft-Windows-DotNETRuntime")
            EnableEvents(source, EventLevel.Verbose, GcKeyword);
    }

    protected override void OnEventWritten(EventWrittenEventArgs e)
    {
        if (e.EventName?.StartsWith("GCAllocationTick", StringComparison.Ordinal) != true || e.Payload is null || e.PayloadNames is null)
            return;
        var type = e.Payload[e.PayloadNames.IndexOf("TypeName")] as string ?? "?";
        var amount = Convert.ToInt64(e.Payload[e.PayloadNames.IndexOf("AllocationAmount64")]);
        _bytes.AddOrUpdate(type, amount, (_, total) => total + amount);
    }

    /// <summary>Forgets what was sampled so far (the first run's start-up).</summary>
    public void Reset() => _bytes.Clear();

    /// <summary>Prints the types that took the largest shares of the sampled bytes.</summary>
    public void Print(int top = 30)
    {
        var total = Math.Max(1, _bytes.Values.Sum());
        Console.WriteLine($"allocation profile (sampled, every run but the first), top {top} types by share of bytes:");
        foreach (var (type, bytes) in _bytes.OrderByDescending(kv => kv.Value).Take(top))
            Console.WriteLine($"  {bytes * 100.0 / total,5:0.0} %  {type}");
    }
}
