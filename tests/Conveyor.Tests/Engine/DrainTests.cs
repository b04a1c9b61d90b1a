using Conveyor.Execution;
using Microsoft.Extensions.Logging.Abstractions;
using Xunit;

namespace Conveyor.Tests.Engine;

/// <summary>One-shot runs (conveyor drain): the producer claims at most the budget and says when nothing is left to run.</summary>
public sealed class DrainTests
{
    private static EngineRig Rig(DrainPlan plan) => new(k =>
    {
        k.Add<Args, CompletesHandler>("completes", new JobKindOptions());
        k.Add<Args, ThrowsHandler>("throws", new JobKindOptions());
    }, plan);

    private static async Task<CancellationTokenSource> RunProducerAsync(EngineRig rig)
    {
        var stop = new CancellationTokenSource();
        var producer = rig.NewProducer();
        _ = Task.Run(() => producer.RunAsync(stop.Token));
        await Task.Yield();
        return stop;
    }

    [Fact]
    public async Task A_budget_of_three_runs_three_of_five_ready_jobs_then_says_drained()
    {
        var plan = new DrainPlan(3);
        await using var rig = Rig(plan);
        var ids = Enumerable.Range(0, 5).Select(_ => rig.Store.Add("completes").Id).ToList();
        using var stop = await RunProducerAsync(rig);
        await plan.Drained.Task.WaitAsync(TimeSpan.FromSeconds(10));
        await Eventually.That(() => plan.Completed == 3);
        Assert.Equal((3, 0), (plan.Claimed, plan.NotCompleted));
        Assert.Equal(2, ids.Count(id => rig.Store[id].State == JobState.Queued));
        await stop.CancelAsync();
    }

    [Fact]
    public async Task Without_a_budget_it_runs_what_is_ready_and_counts_what_did_not_complete()
    {
        var plan = new DrainPlan(null);
        await using var rig = Rig(plan);
        rig.Store.Add("completes");
        rig.Store.Add("completes");
        rig.Store.Add("throws"); // retried later: not ready again now
        using var stop = await RunProducerAsync(rig);
        await plan.Drained.Task.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal((3, 2, 1), (plan.Claimed, plan.Completed, plan.NotCompleted));
        await stop.CancelAsync();
    }
}
