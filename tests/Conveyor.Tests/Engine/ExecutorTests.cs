using Conveyor.Execution;
using Conveyor.Storage;
using Xunit;

namespace Conveyor.Tests.Engine;

/// <summary>One attempt's value or exception becomes one named outcome; back-off comes from the one retry policy.</summary>
public sealed class ExecutorTests
{
    private static EngineRig Rig() => new(k =>
    {
        k.Add<Args, CompletesHandler>("completes", new JobKindOptions());
        k.Add<Args, ThrowsHandler>("throws", new JobKindOptions());
        k.Add<Args, ThrowsHandler>("throws.slowly", new JobKindOptions { Backoff = new BackoffPolicy(TimeSpan.FromMinutes(1), 3, TimeSpan.FromHours(1), 0) });
        k.Add<Args, PermanentHandler>("permanent", new JobKindOptions());
        k.Add<Args, SnoozesHandler>("snoozes", new JobKindOptions());
        k.Add<Args, WaitsHandler>("waits", new JobKindOptions());
        k.Add<Args, WaitsHandler>("waits.briefly", new JobKindOptions { Timeout = TimeSpan.FromSeconds(10) });
    });

    [Fact]
    public async Task A_returned_value_completes_the_job_with_its_result()
    {
        await using var rig = Rig();
        var job = rig.Store.Add("completes", args: """{"n":21}""");
        var outcome = await rig.RunAsync(job.Id);
        Assert.Equal((OutcomeReason.Completed, JobState.Completed), (outcome.Reason, rig.Store[job.Id].State));
        Assert.Equal("""{"doubled":42}""", rig.Store[job.Id].Result);
        Assert.Equal(0, rig.Running.Count);
    }

    /// <summary>
    /// Shutdown waits for the slots, then stops the completer: an outcome handed over after its slot freed could find the
    /// completer closed and be dropped (the job then waits for its lease). So the outcome goes first, the slot after.
    /// </summary>
    [Fact]
    public async Task The_outcome_is_delivered_while_the_attempt_still_holds_its_slot()
    {
        await using var rig = Rig();
        var job = rig.Store.Add("completes", args: """{"n":1}""");
        rig.Running.Reserve(1);
        var claimed = rig.Store.ClaimAs(job.Id, rig.Settings.WorkerId, rig.Settings.Lease);
        var slotsAtDelivery = -1;
        var (outcome, _) = await rig.Executor.AttemptAsync(claimed, delivered =>
        {
            slotsAtDelivery = rig.Running.Count;
            return Task.CompletedTask;
        });
        Assert.Equal((OutcomeReason.Completed, 1, 0), (outcome.Reason, slotsAtDelivery, rig.Running.Count));
    }

    [Fact]
    public async Task A_throw_is_retried_after_the_back_off_and_the_last_attempt_fails()
    {
        await using var rig = Rig();
        var job = rig.Store.Add("throws", maxAttempts: 2);
        var first = await rig.RunAsync(job.Id);
        Assert.Equal((OutcomeReason.Retried, TimeSpan.FromSeconds(1)), (first.Reason, first.Delay));
        Assert.Equal((JobState.Scheduled, EngineRig.Start.AddSeconds(1)), (rig.Store[job.Id].State, rig.Store[job.Id].RunAt));
        Assert.Equal("boom 1", rig.Store[job.Id].Errors[0].Message);

        var last = await rig.RunAsync(job.Id);
        Assert.Equal(OutcomeReason.Failed, last.Reason);
        Assert.Equal(JobState.Failed, rig.Store[job.Id].State);
        Assert.Equal(["boom 1", "boom 2"], rig.Store[job.Id].Errors.Select(e => e.Message));
    }

    [Fact]
    public async Task A_kinds_own_back_off_is_used()
    {
        await using var rig = Rig();
        var job = rig.Store.Add("throws.slowly", maxAttempts: 5);
        Assert.Equal(TimeSpan.FromMinutes(1), (await rig.RunAsync(job.Id)).Delay);
        Assert.Equal(TimeSpan.FromMinutes(3), (await rig.RunAsync(job.Id)).Delay);
    }

    [Fact]
    public async Task A_permanent_failure_is_not_retried_and_an_unknown_kind_is()
    {
        await using var rig = Rig();
        var permanent = rig.Store.Add("permanent", maxAttempts: 5);
        Assert.Equal(JobState.Failed, (await rig.RunAsync(permanent.Id)).State);
        var unknown = rig.Store.Add("nobody.knows", maxAttempts: 5);
        var outcome = await rig.RunAsync(unknown.Id);
        Assert.Equal((OutcomeReason.Retried, "UnknownJobKind"), (outcome.Reason, outcome.Error!.Type));
    }

    [Fact]
    public async Task A_snooze_runs_again_later_without_charging_an_attempt()
    {
        await using var rig = Rig();
        var job = rig.Store.Add("snoozes");
        var outcome = await rig.RunAsync(job.Id);
        Assert.Equal((OutcomeReason.Snoozed, true), (outcome.Reason, outcome.RefundAttempt));
        Assert.Equal((JobState.Scheduled, 0, EngineRig.Start.AddMinutes(2)), (rig.Store[job.Id].State, rig.Store[job.Id].Attempt, rig.Store[job.Id].RunAt));
    }

    [Fact]
    public async Task The_kinds_timeout_cancels_the_attempt_on_the_clock_and_is_retried()
    {
        await using var rig = Rig();
        var job = rig.Store.Add("waits.briefly");
        var before = rig.Store.Applied.Count;
        await rig.StartAsync(job.Id);
        await Eventually.That(() => rig.Gate.Entered == 1);
        rig.Time.Advance(TimeSpan.FromSeconds(9));
        await Task.Yield();
        Assert.Equal(before, rig.Store.Applied.Count);
        rig.Time.Advance(TimeSpan.FromSeconds(1));
        await Eventually.That(() => rig.Store.Applied.Count > before);
        var outcome = rig.Store.Applied[^1];
        Assert.Equal((OutcomeReason.TimedOut, "Timeout", JobState.Scheduled), (outcome.Reason, outcome.Error!.Type, outcome.State));
    }

    [Fact]
    public async Task A_requested_cancel_ends_cancelled_and_shutdown_hands_back_without_charging()
    {
        await using var rig = Rig();
        var cancelled = rig.Store.Add("waits");
        var handedBack = rig.Store.Add("waits");
        await rig.StartAsync(cancelled.Id);
        await rig.StartAsync(handedBack.Id);
        await Eventually.That(() => rig.Gate.Entered == 2);
        Assert.True(rig.Running.TryGet(new JobLease(cancelled.Id, 1), out var first));
        Assert.True(rig.Running.TryGet(new JobLease(handedBack.Id, 1), out var second));
        first.Cancel(CancelReason.Requested);
        second.Cancel(CancelReason.Shutdown);
        await Eventually.That(() => rig.Store.Applied.Count == 2);
        Assert.Equal(JobState.Cancelled, rig.Store[cancelled.Id].State);
        Assert.Equal((JobState.Queued, 0), (rig.Store[handedBack.Id].State, rig.Store[handedBack.Id].Attempt));
        Assert.Contains(rig.Store.Applied, o => o.Reason == OutcomeReason.HandedBack);
        Assert.Equal(0, rig.Running.Count);
    }
}
