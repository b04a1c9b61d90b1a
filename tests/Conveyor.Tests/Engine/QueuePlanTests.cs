using Conveyor.Execution;
using Microsoft.Extensions.Logging.Abstractions;
using Xunit;

namespace Conveyor.Tests.Engine;

/// <summary>Several queues in one worker: priority across them, strict tiers, or shares by weight.</summary>
public sealed class QueuePlanTests
{
    [Fact]
    public void Without_weights_one_claim_covers_all_queues_and_with_them_the_list_becomes_tiers()
    {
        var plain = QueuePlan.Parse(["default", "mail"]);
        Assert.Equal(["default", "mail"], plain.Names);
        Assert.Null(plain.Tiers);

        var tiered = QueuePlan.Parse(["critical", "default:3", "low:1", "bulk"]);
        Assert.Equal(["critical", "default", "low", "bulk"], tiered.Names);
        Assert.Equal([["critical:1"], ["default:3", "low:1"], ["bulk:1"]],
            tiered.Tiers!.Select(t => t.Queues.Select(q => $"{q.Queue}:{q.Weight}").ToArray()).ToArray());
    }

    [Theory]
    [InlineData("default:0", "1 to 1000")]
    [InlineData("default:x", "1 to 1000")]
    [InlineData("default:1001", "1 to 1000")]
    [InlineData("not a queue", "queue")]
    public void A_bad_entry_is_refused_by_name(string entry, string message) =>
        Assert.Contains(message, Assert.Throws<JobValidationException>(() => QueuePlan.Parse([entry])).Message);

    [Fact]
    public void A_queue_listed_twice_is_refused() =>
        Assert.Contains("twice", Assert.Throws<JobValidationException>(() => QueuePlan.Parse(["a:1", "a:2"])).Message);

    [Fact]
    public void Slots_follow_the_weights_one_at_a_time_and_in_chunks()
    {
        var tier = QueuePlan.Parse(["default:3", "low:1"]).Tiers![0];
        var oneByOne = Enumerable.Range(0, 400).SelectMany(_ => tier.Split(1)).GroupBy(s => s.Queue).ToDictionary(g => g.Key, g => g.Sum(s => s.Slots));
        Assert.Equal((300, 100), (oneByOne["default"], oneByOne["low"]));
        var chunks = Enumerable.Range(0, 40).SelectMany(_ => tier.Split(7)).GroupBy(s => s.Queue).ToDictionary(g => g.Key, g => g.Sum(s => s.Slots));
        Assert.Equal((210, 70), (chunks["default"], chunks["low"]));
    }

    [Fact]
    public async Task A_worker_serves_the_strict_tier_first_then_shares_by_weight_and_a_short_queue_lends_its_slots()
    {
        await using var rig = new EngineRig(k => k.Add<Args, CompletesHandler>("completes", new JobKindOptions()));
        var critical = Enumerable.Range(0, 6).Select(_ => rig.Store.Add("completes", queue: "critical").Id).ToHashSet();
        var normal = Enumerable.Range(0, 40).Select(_ => rig.Store.Add("completes", queue: "default").Id).ToHashSet();
        var low = Enumerable.Range(0, 12).Select(_ => rig.Store.Add("completes", queue: "low").Id).ToHashSet();
        var plan = QueuePlan.Parse(["critical", "default:3", "low:1"]);
        var log = new ListLogger();
        var producer = rig.NewProducer(rig.Settings with { Concurrency = 1, Queues = plan.Names, Plan = plan }, log);
        using var stop = new CancellationTokenSource();
        var loop = Task.Run(() => producer.RunAsync(stop.Token));
        try
        {
            await Eventually.That(() => rig.Store.ClaimOrder.Count == 58);
        }
        catch (TimeoutException)
        {
            Assert.Fail($"58 claims expected: {rig.Store.ClaimOrder.Count} in {rig.Store.Claims} calls, running {rig.Running.Count}; logged: {string.Join(" | ", log.Lines)}");
        }
        await stop.CancelAsync();
        await loop;

        var order = rig.Store.ClaimOrder;
        Assert.True(order.Take(6).All(critical.Contains), "critical first");
        var shared = order.Skip(6).Take(40).ToList();
        Assert.Equal((30, 10), (shared.Count(normal.Contains), shared.Count(low.Contains)));   // 3 : 1
        Assert.Equal(58, order.Distinct().Count());   // then low runs dry and default takes its slots
    }
}

internal sealed class ListLogger : Microsoft.Extensions.Logging.ILogger
{
    public List<string> Lines { get; } = [];
    public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;
    public bool IsEnabled(Microsoft.Extensions.Logging.LogLevel logLevel) => true;
    public void Log<TState>(Microsoft.Extensions.Logging.LogLevel logLevel, Microsoft.Extensions.Logging.EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        lock (Lines) Lines.Add(formatter(state, exception) + " " + exception);
    }
}
