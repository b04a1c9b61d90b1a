using Conveyor.Storage;
using Xunit;

namespace Conveyor.Conformance;

/// <summary>
/// The change feed (<see cref="IJobChangeFeed"/>): every write a watcher cares about appears after the position a reader
/// last saw, in order, with the job's latest state; lease renewals do not; a second instance (another process) sees
/// the first one's writes; the settled point never passes a change that is still to come.
/// </summary>
public abstract class JobChangeFeedConformance<TFactory> : StoreConformance<TFactory> where TFactory : IStoreFactory, new()
{
    private Task<JobChangePage> ChangesAsync(JobChangeCursor after, long? jobId = null, string? batch = null, string? queue = null, int limit = 100) =>
        Store.JobChangesAsync(new JobChangesParams(after, limit, jobId, batch, queue), default);

    [StoreFact]
    public async Task Each_write_moves_the_job_past_the_last_position_seen()
    {
        var start = (await ChangesAsync(JobChangeCursor.Start, limit: 0)).Settled;
        var id = await InsertAsync(Row(batchId: "b1"));
        var enqueued = Assert.Single((await ChangesAsync(JobChangeCursor.Before(start))).Changes);
        Assert.Equal((id, JobState.Queued, "b1", 0), (enqueued.Id, enqueued.State, enqueued.BatchId, enqueued.Attempt));

        Assert.Single(await ClaimAsync());
        var claimed = Assert.Single((await ChangesAsync(enqueued.Position)).Changes);
        Assert.Equal((JobState.Running, 1), (claimed.State, claimed.Attempt));
        Assert.True(claimed.Position.CompareTo(enqueued.Position) > 0);

        // A lease renewal is not a change a watcher sees.
        await Store.JobHeartbeatAsync(new JobHeartbeatParams("w1", [L(id)], Lease, T0.AddSeconds(1)), default);
        Assert.Empty((await ChangesAsync(claimed.Position)).Changes);

        Assert.True(await Store.JobProgressAsync(new JobProgressParams(id, 1, "w1", new JobProgress(40, "resizing", 4, 10)), default));
        var progressed = Assert.Single((await ChangesAsync(claimed.Position)).Changes);
        Assert.Equal(new JobProgress(40, "resizing", 4, 10), progressed.Progress);

        await ApplyAsync(T0.AddSeconds(2), AttemptOutcome.Completed(L(id), "w1", """{"pages":3}"""));
        var completed = Assert.Single((await ChangesAsync(progressed.Position)).Changes);
        Assert.Equal((JobState.Completed, T0.AddSeconds(2)), (completed.State, completed.FinishedAt));
        Assert.Equal(3, ConveyorJson.ParseElement(completed.Result!).GetProperty("pages").GetInt32());
        Assert.Empty((await ChangesAsync(completed.Position)).Changes);
    }

    [StoreFact]
    public async Task A_failure_carries_its_latest_error_and_cancel_retry_and_promotion_are_changes()
    {
        var start = JobChangeCursor.Before((await ChangesAsync(JobChangeCursor.Start, limit: 0)).Settled);
        var failing = await InsertAsync(Row(maxAttempts: 1));
        Assert.Single(await ClaimAsync());
        await ApplyAsync(T0, AttemptOutcome.Failed(L(failing), "w1", E("disk full")));
        var failed = Assert.Single((await ChangesAsync(start, jobId: failing)).Changes);
        Assert.Equal((JobState.Failed, "disk full"), (failed.State, failed.Error?.Message));

        await Store.JobRetryAsync(new JobRetryParams(failing, T0), default);
        var retried = Assert.Single((await ChangesAsync(failed.Position, jobId: failing)).Changes);
        Assert.Equal(JobState.Queued, retried.State);

        await Store.JobCancelAsync(new JobCancelParams(failing, T0), default);
        Assert.Equal(JobState.Cancelled, Assert.Single((await ChangesAsync(retried.Position, jobId: failing)).Changes).State);

        var later = await InsertAsync(Row(runAt: T0.AddMinutes(5)));
        var scheduled = Assert.Single((await ChangesAsync(start, jobId: later)).Changes);
        Assert.Equal(JobState.Scheduled, scheduled.State);
        Assert.Equal(1, await Store.JobPromoteScheduledAsync(new JobPromoteParams(10, T0.AddMinutes(6)), default));
        Assert.Equal(JobState.Queued, Assert.Single((await ChangesAsync(scheduled.Position, jobId: later)).Changes).State);
    }

    [StoreFact]
    public async Task Filters_by_job_batch_and_queue_and_pages_in_order()
    {
        var start = JobChangeCursor.Before((await ChangesAsync(JobChangeCursor.Start, limit: 0)).Settled);
        var a = await InsertAsync(Row(queue: "mail", batchId: "b1"));
        var b = await InsertAsync(Row(queue: "mail"));
        var c = await InsertAsync(Row(queue: "video", batchId: "b1"));
        Assert.Equal([a, c], (await ChangesAsync(start, batch: "b1")).Changes.Select(x => x.Id));
        Assert.Equal([a, b], (await ChangesAsync(start, queue: "mail")).Changes.Select(x => x.Id));
        Assert.Equal([b], (await ChangesAsync(start, jobId: b)).Changes.Select(x => x.Id));

        var first = await ChangesAsync(start, limit: 2);
        Assert.Equal([a, b], first.Changes.Select(x => x.Id));
        Assert.Equal([c], (await ChangesAsync(first.Changes[^1].Position)).Changes.Select(x => x.Id));
        Assert.True(JobChangeCursor.TryParse(first.Changes[0].Position.ToString(), out var parsed));
        Assert.Equal(first.Changes[0].Position, parsed);
    }

    [StoreFact]
    public async Task Another_instance_sees_the_writes_and_nothing_settles_past_them()
    {
        await using var other = await Factory.OpenAgainAsync();
        var before = (await ChangesAsync(JobChangeCursor.Start, limit: 0)).Settled;
        var id = (await other.JobInsertManyAsync(new JobInsertManyParams([Row()], T0), default))[0].Id;
        var page = await ChangesAsync(JobChangeCursor.Before(before));
        var change = Assert.Single(page.Changes);
        Assert.Equal(id, change.Id);
        Assert.True(page.Settled >= before);
        // The settled point may lag while other transactions (of other tests, on PostgreSQL cluster-wide) are in flight,
        // but it passes a committed change once they end.
        var settled = page.Settled;
        for (var i = 0; i < 100 && settled <= change.Position.Seq; i++)
        {
            await Task.Delay(100);
            settled = (await ChangesAsync(JobChangeCursor.Start, limit: 0)).Settled;
        }
        Assert.True(settled > change.Position.Seq, "the settled point never passed a committed change");
    }
}
