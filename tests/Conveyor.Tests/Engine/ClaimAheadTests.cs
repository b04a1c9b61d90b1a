using Conveyor.Execution;
using Conveyor.Storage;
using Microsoft.Extensions.Time.Testing;
using Xunit;

namespace Conveyor.Tests.Engine;

/// <summary>
/// Claiming ahead of the free slots: how many, that buffered jobs run once each in claim order and never beyond the slots,
/// that the heartbeat keeps their leases and takes cancelled or lost ones out, and that shutdown hands them back unrun.
/// </summary>
public sealed class ClaimAheadTests
{
    private static ClaimedJob Job(long id) => new(id, "default", "completes", "{}", 1, 3, 0, EngineRig.Start, null, null);

    [Fact]
    public void The_buffer_holds_what_the_worker_starts_within_the_horizon_and_never_more_than_its_max()
    {
        var time = new FakeTimeProvider(EngineRig.Start);
        var buffer = new ClaimBuffer(50, time);
        Assert.Equal(0, buffer.Target); // nothing started yet: claim only for free slots
        buffer.AddRange(Enumerable.Range(1, 100).Select(i => Job(i)));
        for (var i = 0; i < 20; i++)
            Assert.True(buffer.TryTake(out _));
        time.Advance(TimeSpan.FromMilliseconds(50));
        Assert.Equal(40, buffer.Target); // 20 starts in 50 ms = 400/s, times 100 ms
        time.Advance(TimeSpan.FromMilliseconds(50));
        Assert.Equal(20, buffer.Target); // a quiet window halves the smoothed rate
        for (var i = 0; i < 60; i++)
            Assert.True(buffer.TryTake(out _));
        time.Advance(TimeSpan.FromMilliseconds(50));
        Assert.Equal(50, buffer.Target); // 1,200/s would be 120: capped at the max
        Assert.Equal(0, new ClaimBuffer(0, time).Target);
    }

    [Fact]
    public void Buffered_jobs_come_out_in_claim_order_and_can_be_taken_out_by_lease()
    {
        var buffer = new ClaimBuffer(10, new FakeTimeProvider(EngineRig.Start));
        buffer.AddRange([Job(1), Job(2), Job(3), Job(2) with { Attempt = 2 }]);
        Assert.Equal([new JobLease(2, 1), new JobLease(2, 2)], buffer.OfJob(2));
        Assert.True(buffer.TryRemove(new JobLease(2, 1), out var removed));
        Assert.Equal(2, removed.Id);
        Assert.False(buffer.TryRemove(new JobLease(2, 1), out _));
        Assert.True(buffer.TryTake(out var first));
        Assert.Equal(1, first.Id);
        Assert.Equal([new JobLease(3, 1), new JobLease(2, 2)], buffer.TakeAll().Select(j => j.Lease));
        Assert.Equal(0, buffer.Count);
        Assert.False(buffer.TryTake(out _));
    }

    [Fact]
    public async Task A_worker_claims_ahead_of_its_slots_and_runs_every_job_once_within_its_slots()
    {
        await using var rig = new EngineRig(k => k.Add<Args, CompletesHandler>("completes", new JobKindOptions()), claimAhead: 50);
        var warmUp = Enumerable.Range(0, 8).Select(_ => rig.Store.Add("completes").Id).ToList();
        var producer = rig.NewProducer();
        using var stop = new CancellationTokenSource();
        var loop = Task.Run(() => producer.RunAsync(stop.Token));
        // Eight starts in 50 ms (160 a second): the worker now claims 16 ahead of its slots.
        await Eventually.That(() => warmUp.All(id => rig.Store[id].State == JobState.Completed), "the first 8 completed");
        Assert.Equal(rig.Settings.Concurrency, rig.Store.LargestAsk);
        var ids = Enumerable.Range(0, 300).Select(_ => rig.Store.Add("completes").Id).ToList();
        rig.Time.Advance(TimeSpan.FromMilliseconds(50));
        producer.WorkAvailable.Set();
        var mostRunning = 0;
        await Eventually.Advancing(rig.Time, TimeSpan.FromMilliseconds(10), () =>
        {
            mostRunning = Math.Max(mostRunning, rig.Running.Count);
            return ids.All(id => rig.Store[id].State == JobState.Completed);
        }, "all 300 completed");
        await stop.CancelAsync();
        await loop;

        Assert.True(rig.Store.LargestAsk > rig.Settings.Concurrency, $"claims asked for at most {rig.Store.LargestAsk}, no more than the {rig.Settings.Concurrency} slots");
        Assert.True(rig.Store.LargestAsk <= rig.Settings.Concurrency + 50, $"a claim asked for {rig.Store.LargestAsk}, beyond the slots plus the max ahead");
        Assert.True(mostRunning <= rig.Settings.Concurrency, $"{mostRunning} ran at once in {rig.Settings.Concurrency} slots");
        // Each claim says which part is for the buffer (at least what it asks beyond the slots), and reserves the worker's
        // slot count on limited queues.
        Assert.All(rig.Store.ClaimsMade, c =>
        {
            Assert.Equal(rig.Settings.Concurrency, c.Reserve);
            Assert.InRange(c.Ahead, Math.Max(0, c.Max - rig.Settings.Concurrency), c.Max);
        });
        Assert.Contains(rig.Store.ClaimsMade, c => c.Ahead > 0);
        Assert.Equal(0, rig.Store.ClaimsMade[0].Ahead); // nothing started yet: the first claim is for free slots only
        Assert.Equal(308, rig.Store.Applied.Count); // each job's outcome once: none ran twice
        Assert.Equal([.. warmUp, .. ids], rig.Store.Applied.Select(o => o.Id).Order());
        Assert.All(ids, id => Assert.Equal(1, rig.Store[id].Attempt));
    }

    [Fact]
    public async Task The_heartbeat_keeps_buffered_leases_cancels_requested_ones_without_running_them_and_drops_lost_ones()
    {
        await using var rig = new EngineRig(k => k.Add<Args, WaitsHandler>("waits", new JobKindOptions()), claimAhead: 10);
        var kept = rig.Store.Add("waits");
        var cancelled = rig.Store.Add("waits");
        var lost = rig.Store.Add("waits");
        rig.Buffer.AddRange([.. new[] { kept, cancelled, lost }.Select(j => rig.Store.ClaimAs(j.Id, rig.Settings.WorkerId, rig.Settings.Lease))]);
        rig.Store[cancelled.Id].CancelRequested = true;
        rig.Store[lost.Id].WorkerId = "someone-else";
        rig.Time.Advance(TimeSpan.FromSeconds(10));

        await rig.NewLeaseKeeper().BeatAsync(default);

        Assert.Equal(rig.Time.GetUtcNow() + rig.Settings.Lease, rig.Store[kept.Id].LeaseUntil);
        Assert.Equal([new JobLease(kept.Id, 1)], rig.Buffer.Leases());
        await Eventually.That(() => rig.Store[cancelled.Id].State == JobState.Cancelled, "the requested job cancelled");
        Assert.Contains("before the job started", rig.Store.Applied.Single().Error!.Message);
        Assert.Equal(JobState.Running, rig.Store[lost.Id].State); // someone else's now: nothing written for it
        Assert.Equal(0, rig.Gate.Entered); // no handler ran
    }

    [Fact]
    public async Task Shutdown_hands_claimed_ahead_jobs_back_without_charging_an_attempt()
    {
        await using var host = new ShutdownRescueReadinessTests.WorkerHost(o => o.ClaimAhead = 10);
        var (time, store, gate, worker) = (host.Time, host.Store, host.Gate, host.Hosted<WorkerService>());
        var jobs = Enumerable.Range(0, 6).Select(_ => store.Add("waits")).ToList();
        await worker.StartAsync(default);
        await Eventually.That(() => gate.Entered == 2, "both slots busy");
        // Two starts a second: the worker claims one job ahead of its two busy slots.
        await Eventually.Advancing(time, TimeSpan.FromMilliseconds(250), () => jobs.Count(j => store[j.Id].State == JobState.Running) == 3, "one job claimed ahead");
        var ahead = jobs.Single(j => store[j.Id].State == JobState.Running && gate.Entered == 2 && !worker.Running.TryGet(new JobLease(j.Id, 1), out _));

        // Shutdown: the two running jobs are cancelled after the timeout and handed back; the buffered one at once, unrun.
        var stopping = worker.StopAsync(default);
        await Eventually.Advancing(time, TimeSpan.FromSeconds(1), () => stopping.IsCompleted, "shutdown finished");
        await stopping;
        Assert.Equal(2, gate.Entered);
        Assert.Contains(store.Applied, o => o.Id == ahead.Id && o.Reason == OutcomeReason.HandedBack);
        Assert.All(jobs, j => Assert.Equal((JobState.Queued, 0), (store[j.Id].State, store[j.Id].Attempt)));
    }
}
