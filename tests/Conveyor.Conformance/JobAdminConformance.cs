using Conveyor.Storage;
using Xunit;

namespace Conveyor.Conformance;

/// <summary>Administration (<see cref="IJobAdminStore"/>): cancel and retry, and what each says when it changes nothing.</summary>
public abstract class JobAdminConformance<TFactory> : StoreConformance<TFactory> where TFactory : IStoreFactory, new()
{
    [StoreFact]
    public async Task Cancel_waiting_is_immediate_running_is_requested_finished_is_unchanged()
    {
        var waiting = await InsertAsync(Row());
        var scheduled = await InsertAsync(Row(runAt: T0.AddHours(1)));
        Assert.Equal(new JobCancelResult(JobCancelOutcome.Cancelled, JobState.Cancelled), await Store.JobCancelAsync(new JobCancelParams(waiting, T0), default));
        Assert.Equal(new JobCancelResult(JobCancelOutcome.Cancelled, JobState.Cancelled), await Store.JobCancelAsync(new JobCancelParams(scheduled, T0), default));
        var cancelled = await GetAsync(waiting);
        Assert.Equal((JobState.Cancelled, T0), (cancelled.State, cancelled.FinishedAt));
        Assert.Empty(await ClaimAsync(now: T0.AddHours(2)));

        var running = await InsertAsync(Row());
        Assert.Single(await ClaimAsync());
        Assert.Equal(new JobCancelResult(JobCancelOutcome.CancelRequested, JobState.Running), await Store.JobCancelAsync(new JobCancelParams(running, T0), default));
        var requested = await GetAsync(running);
        Assert.Equal((JobState.Running, T0, T0 + Lease), (requested.State, requested.CancelRequestedAt, requested.LeaseUntil));

        // A job asked to cancel whose attempt fails ends cancelled, not retried.
        await ApplyAsync(T0, AttemptOutcome.Retried(L(running), "w1", E("stopped"), TimeSpan.FromSeconds(5)));
        Assert.Equal(JobState.Cancelled, (await GetAsync(running)).State);

        Assert.Equal(new JobCancelResult(JobCancelOutcome.AlreadyFinished, JobState.Cancelled), await Store.JobCancelAsync(new JobCancelParams(running, T0), default));
        Assert.Equal(new JobCancelResult(JobCancelOutcome.NotFound, null), await Store.JobCancelAsync(new JobCancelParams(123456789, T0), default));
    }

    [StoreFact]
    public async Task Cancelling_a_completed_job_changes_nothing()
    {
        var id = await InsertAsync(Row());
        Assert.Single(await ClaimAsync());
        await ApplyAsync(T0.AddSeconds(1), AttemptOutcome.Completed(L(id), "w1", "7"));
        Assert.Equal(new JobCancelResult(JobCancelOutcome.AlreadyFinished, JobState.Completed), await Store.JobCancelAsync(new JobCancelParams(id, T0.AddSeconds(5)), default));
        var job = await GetAsync(id);
        Assert.Equal((JobState.Completed, T0.AddSeconds(1), (DateTimeOffset?)null), (job.State, job.FinishedAt, job.CancelRequestedAt));
    }

    [StoreFact]
    public async Task Retry_requeues_failed_and_cancelled_jobs_only()
    {
        var id = await InsertAsync(Row(maxAttempts: 1));
        Assert.Single(await ClaimAsync());
        await ApplyAsync(T0, AttemptOutcome.Failed(L(id), "w1", E("x")));

        Assert.Equal(new JobRetryResult(JobRetryOutcome.Retried, JobState.Queued), await Store.JobRetryAsync(new JobRetryParams(id, T0.AddMinutes(1)), default));
        var job = await GetAsync(id);
        Assert.Equal((JobState.Queued, 2, (DateTimeOffset?)null, T0.AddMinutes(1)), (job.State, job.MaxAttempts, job.FinishedAt, job.RunAt));
        Assert.Single(job.Errors);
        Assert.Equal(2, Assert.Single(await ClaimAsync(now: T0.AddMinutes(1))).Attempt);

        Assert.Equal(new JobRetryResult(JobRetryOutcome.NotRetryable, JobState.Running), await Store.JobRetryAsync(new JobRetryParams(id, T0), default));
        Assert.Equal(new JobRetryResult(JobRetryOutcome.NotFound, null), await Store.JobRetryAsync(new JobRetryParams(55555555, T0), default));

        var cancelled = await InsertAsync(Row());
        await Store.JobCancelAsync(new JobCancelParams(cancelled, T0), default);
        Assert.Equal(JobRetryOutcome.Retried, (await Store.JobRetryAsync(new JobRetryParams(cancelled, T0), default)).Outcome);
        Assert.Equal((JobState.Queued, (DateTimeOffset?)null), ((await GetAsync(cancelled)).State, (await GetAsync(cancelled)).CancelRequestedAt));
    }
}
