using Conveyor.Execution;
using Conveyor.Storage;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using Xunit;

namespace Conveyor.Tests.Engine;

/// <summary>Progress writes are throttled on the clock; outcomes are batched and retried through a store outage.</summary>
public sealed class ProgressAndCompleterTests
{
    [Fact]
    public async Task Progress_is_written_at_once_then_at_most_once_per_interval_with_the_newest_value()
    {
        var time = new FakeTimeProvider(EngineRig.Start);
        var store = new InMemoryJobStore(time);
        var row = store.Add("k");
        var job = store.ClaimAs(row.Id, "w1", TimeSpan.FromSeconds(30));
        var progress = new ProgressReporter(store, job, "w1", TimeSpan.FromMilliseconds(250), time, NullLogger.Instance);

        for (var i = 1; i <= 100; i++)
            await progress.ReportAsync(new JobProgress(i));
        Assert.Equal([1], store.ProgressWrites.Select(w => w.Progress.Percent));

        time.Advance(TimeSpan.FromMilliseconds(249));
        Assert.Single(store.ProgressWrites);
        time.Advance(TimeSpan.FromMilliseconds(1));
        await Eventually.That(() => store.ProgressWrites.Count == 2);
        Assert.Equal(100, store.ProgressWrites[^1].Progress.Percent);

        await progress.ReportAsync(new JobProgress(101));
        progress.Close();
        time.Advance(TimeSpan.FromSeconds(1));
        await Task.Yield();
        Assert.Equal(2, store.ProgressWrites.Count);
        Assert.Equal(101, progress.Latest!.Percent);
    }

    [Fact]
    public async Task The_final_progress_rides_with_the_outcome()
    {
        await using var rig = new EngineRig(k => k.Add<Args, ReportsProgressHandler>("reports", new JobKindOptions()));
        var job = rig.Store.Add("reports", args: """{"n":300}""");
        await rig.StartAsync(job.Id);
        await Eventually.That(() => rig.Gate.Entered == 1);
        rig.Gate.Release();
        await Eventually.That(() => rig.Store.Applied.Count == 1);
        Assert.Equal(new JobProgress(100, "item 300", 300, 300), rig.Store[job.Id].Progress);
        Assert.Single(rig.Store.ProgressWrites);
    }

    [Fact]
    public async Task Outcomes_survive_a_store_outage_by_retrying_on_the_clock()
    {
        await using var rig = new EngineRig(k => k.Add<Args, CompletesHandler>("completes", new JobKindOptions()));
        rig.Store.FailNextOutcomeWrites = 2;
        var job = rig.Store.Add("completes");
        await rig.StartAsync(job.Id);
        await Eventually.That(() => rig.Store.FailNextOutcomeWrites == 1, "the first write failed");
        Assert.Empty(rig.Store.Applied);
        // The retries wait on the clock (50 ms, then 200 ms): nothing lands until it moves.
        await Eventually.Advancing(rig.Time, TimeSpan.FromMilliseconds(10), () => rig.Store.Applied.Count == 1, "the third write landed");
        Assert.Equal(JobState.Completed, rig.Store[job.Id].State);
        Assert.Equal(1, rig.Completer.Written);
    }

    [Fact]
    public async Task A_late_outcome_for_a_job_held_by_someone_else_is_counted_as_rejected()
    {
        await using var rig = new EngineRig(k => k.Add<Args, CompletesHandler>("completes", new JobKindOptions()));
        var job = rig.Store.Add("completes");
        var claimed = rig.Store.ClaimAs(job.Id, "w1", TimeSpan.FromSeconds(30));
        rig.Store[job.Id].WorkerId = "thief";
        Assert.True(await rig.Completer.TryAddAsync(AttemptOutcome.Completed(claimed.Lease, "w1", null)));
        await Eventually.That(() => rig.Completer.Rejected == 1);
        Assert.Equal(JobState.Running, rig.Store[job.Id].State);
    }
}
