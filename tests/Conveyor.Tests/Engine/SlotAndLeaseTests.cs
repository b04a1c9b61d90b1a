using Conveyor.Execution;
using Conveyor.Storage;
using Microsoft.Extensions.Logging.Abstractions;
using Xunit;

namespace Conveyor.Tests.Engine;

/// <summary>Slots are counted per attempt, and the heartbeat cancels what this worker no longer holds.</summary>
public sealed class SlotAndLeaseTests
{
    private static EngineRig Rig() => new(k =>
    {
        k.Add<Args, IgnoresCancellationHandler>("stubborn", new JobKindOptions());
        k.Add<Args, WaitsHandler>("waits", new JobKindOptions());
    });

    [Fact]
    public async Task A_lost_job_claimed_again_by_the_same_worker_frees_both_slots()
    {
        await using var rig = Rig();
        var lease = rig.NewLeaseKeeper();
        var job = rig.Store.Add("stubborn");
        await rig.StartAsync(job.Id);
        await Eventually.That(() => rig.Gate.Entered == 1);

        // The lease expires (the process froze), the job is rescued and queued again...
        rig.Time.Advance(TimeSpan.FromSeconds(31));
        var expired = Assert.Single(await rig.Store.JobListExpiredAsync(new JobExpiredParams(10), default));
        Assert.Single(await rig.Store.JobApplyOutcomesAsync(new JobApplyOutcomesParams([rig.Retries.Rescued(expired, new JobError(rig.Time.GetUtcNow(), 1, "WorkerLost", "lost"))]), default));
        rig.Time.Advance(TimeSpan.FromSeconds(1));
        // ...the heartbeat finds it lost and cancels the handler, which ignores that...
        await lease.BeatAsync(default);
        Assert.True(rig.Running.TryGet(new JobLease(job.Id, 1), out var stale));
        Assert.Equal(CancelReason.Lost, stale.Reason);
        // ...and this same worker claims the job again: attempt 2 runs beside the stale attempt 1.
        await rig.StartAsync(job.Id);
        await Eventually.That(() => rig.Gate.Entered == 2);
        Assert.Equal(2, rig.Running.Count);
        Assert.Equal([new JobLease(job.Id, 1), new JobLease(job.Id, 2)], rig.Running.Leases().OrderBy(l => l.Attempt));

        rig.Gate.Release();
        await Eventually.That(() => rig.Running.Count == 0, "both slots freed");
        await Eventually.That(() => rig.Store[job.Id].State == JobState.Completed, "attempt 2's outcome written");
        Assert.Equal(2, rig.Store[job.Id].Attempt);
    }

    [Fact]
    public void Running_jobs_are_keyed_by_attempt()
    {
        var running = new RunningJobs();
        var first = new ClaimedJob(7, "default", "k", "{}", 1, 3, 0, EngineRig.Start, null, null);
        var again = first with { Attempt = 2 };
        running.Reserve(2);
        using var stale = new RunningJob(first, null!);
        using var current = new RunningJob(again, null!);
        running.Add(stale);
        running.Add(current);
        running.Remove(stale);
        Assert.Equal(1, running.Count);
        Assert.True(running.TryGet(again.Lease, out _));
        running.Remove(current);
        Assert.Equal(0, running.Count);
        running.Remove(current);
        Assert.Equal(0, running.Count);
    }

    [Fact]
    public async Task The_heartbeat_extends_leases_and_cancels_requested_and_lost_attempts()
    {
        await using var rig = Rig();
        var lease = rig.NewLeaseKeeper();
        var kept = rig.Store.Add("waits");
        var cancelled = rig.Store.Add("waits");
        var lost = rig.Store.Add("waits");
        foreach (var id in new[] { kept.Id, cancelled.Id, lost.Id })
            await rig.StartAsync(id);
        await Eventually.That(() => rig.Gate.Entered == 3);

        rig.Store[cancelled.Id].CancelRequested = true;
        rig.Store[lost.Id].WorkerId = "someone-else";
        rig.Time.Advance(TimeSpan.FromSeconds(10));
        await lease.BeatAsync(default);

        Assert.Equal(rig.Time.GetUtcNow() + rig.Settings.Lease, rig.Store[kept.Id].LeaseUntil);
        await Eventually.That(() => rig.Running.Count == 1, "the requested and the lost attempts ended");
        await Eventually.That(() => rig.Store.Applied.Count == 1 && rig.Completer.Rejected == 1, "one outcome applied, one fenced out");
        Assert.Equal(JobState.Cancelled, rig.Store[cancelled.Id].State);
        Assert.Equal(JobState.Running, rig.Store[lost.Id].State); // its hand-back is fenced out: someone else holds it
        Assert.True(rig.Running.TryGet(new JobLease(kept.Id, 1), out _));
    }

    [Fact]
    public async Task The_producer_claims_at_most_the_free_slots()
    {
        await using var rig = Rig();
        for (var i = 0; i < 10; i++)
            rig.Store.Add("waits");
        var producer = rig.NewProducer();
        using var stop = new CancellationTokenSource();
        var loop = producer.RunAsync(stop.Token);
        await Eventually.That(() => rig.Gate.Entered == rig.Settings.Concurrency);
        Assert.Equal(rig.Settings.Concurrency, rig.Running.Count);
        Assert.Equal(6, Enumerable.Range(1, 10).Count(id => rig.Store[id].State == JobState.Queued));
        await stop.CancelAsync();
        await loop;
    }
}
