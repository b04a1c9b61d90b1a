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

/// <summary>Acting on many jobs and pausing queues (<see cref="IJobAdminStore"/>).</summary>
public abstract class JobBulkConformance<TFactory> : StoreConformance<TFactory> where TFactory : IStoreFactory, new()
{
    private Task<IReadOnlyList<JobBulkChange>> BulkAsync(JobBulkAction action, params long[] ids) =>
        Store.JobBulkAsync(new JobBulkParams(action, ids, T0.AddMinutes(1)), default);

    [StoreFact]
    public async Task Bulk_actions_change_each_job_only_where_the_rules_allow()
    {
        var failed = await InsertAsync(Row(maxAttempts: 1));
        var running = await InsertAsync(Row());
        Assert.Equal(2, (await ClaimAsync()).Count);
        await ApplyAsync(T0, AttemptOutcome.Failed(L(failed), "w1", E("x")));
        var queued = await InsertAsync(Row());

        var retried = await BulkAsync(JobBulkAction.Retry, failed, running, queued, 999_999);
        Assert.Equal(new JobBulkChange(failed, JobState.Failed, JobState.Queued, "default"), Assert.Single(retried));
        Assert.Equal((JobState.Queued, 2), ((await GetAsync(failed)).State, (await GetAsync(failed)).MaxAttempts));

        var cancelled = (await BulkAsync(JobBulkAction.Cancel, failed, running, queued)).OrderBy(c => c.Id).ToList();
        Assert.Equal([
            new JobBulkChange(failed, JobState.Queued, JobState.Cancelled, "default"),
            new JobBulkChange(running, JobState.Running, JobState.Running, "default"),
            new JobBulkChange(queued, JobState.Queued, JobState.Cancelled, "default")], cancelled);
        Assert.NotNull((await GetAsync(running)).CancelRequestedAt);

        var deleted = await BulkAsync(JobBulkAction.Delete, failed, running, queued);
        Assert.Equal([failed, queued], deleted.Select(d => d.Id).Order());
        Assert.All(deleted, d => Assert.Null(d.State));
        Assert.Null(await Store.JobGetAsync(failed, default));
        Assert.Equal(JobState.Running, (await GetAsync(running)).State);
    }

    [StoreFact]
    public async Task A_paused_queue_keeps_its_jobs_and_hands_none_out_until_resumed()
    {
        await InsertAsync(Row(queue: "mail"));
        Assert.True(await Store.QueuePauseAsync(new QueuePauseParams("mail", true, T0), default));
        Assert.False(await Store.QueuePauseAsync(new QueuePauseParams("mail", true, T0), default));
        Assert.Empty(await ClaimAsync(queues: "mail"));
        var stats = Assert.Single(await Store.QueueStatsAsync(new QueueStatsParams(T0), default));
        Assert.True(stats.Paused);

        Assert.True(await Store.QueuePauseAsync(new QueuePauseParams("mail", false, T0), default));
        Assert.Single(await ClaimAsync(queues: "mail"));
        Assert.False(Assert.Single(await Store.QueueStatsAsync(new QueueStatsParams(T0), default)).Paused);
        // A queue never seen can be paused before its first job.
        Assert.True(await Store.QueuePauseAsync(new QueuePauseParams("later", true, T0), default));
    }

    [StoreFact]
    public async Task List_filters_by_tag_time_and_args_and_treats_sql_as_data()
    {
        var early = await InsertAsync(Row(args: """{"user":{"id":7,"plan":"pro"},"n":1,"ok":true}"""), T0);
        var late = await InsertAsync(Row(args: """{"user":{"id":8,"plan":"pro"},"n":2.5,"ok":false}"""), T0.AddHours(1));
        var sql = await InsertAsync(Row(args: """{"name":"x'); DROP TABLE jobs; --"}"""), T0.AddHours(2));
        async Task<long[]> List(JobListParams p) => [.. (await Store.JobListAsync(p, default)).Select(j => j.Id)];

        Assert.Equal([late, early], await List(new JobListParams { ArgsContains = """{"user":{"plan":"pro"}}""" }));
        Assert.Equal([early], await List(new JobListParams { ArgsContains = """{"user":{"id":7}}""" }));
        Assert.Equal([late], await List(new JobListParams { ArgsContains = """{"n":2.5,"ok":false}""" }));
        Assert.Equal([sql], await List(new JobListParams { ArgsContains = """{"name":"x'); DROP TABLE jobs; --"}""" }));
        Assert.Empty(await List(new JobListParams { ArgsContains = """{"user":{"id":9}}""" }));
        // A value that is a substring of another (7 in 17), and one with characters the stored text escapes.
        var other = await InsertAsync(Row(args: """{"user":{"id":17},"name":"Zoë \"Q\""}"""), T0.AddHours(3));
        Assert.Equal([early], await List(new JobListParams { ArgsContains = """{"user":{"id":7}}""" }));
        Assert.Equal([other], await List(new JobListParams { ArgsContains = """{"name":"Zoë \"Q\""}""" }));
        Assert.Equal([other, sql, late], await List(new JobListParams { CreatedFrom = T0.AddMinutes(30) }));
        Assert.Equal([early], await List(new JobListParams { CreatedTo = T0.AddMinutes(30) }));
        Assert.Equal([other, sql, late, early], await List(new JobListParams { Tag = "t1" }));
        Assert.Empty(await List(new JobListParams { Tag = "' OR 1=1 --" }));
    }
}
