using Conveyor.Storage;
using Xunit;

namespace Conveyor.Conformance;

/// <summary>Maintenance (<see cref="IMaintenanceStore"/>): expired leases and their rescue, promotion, pruning.</summary>
public abstract class MaintenanceConformance<TFactory> : StoreConformance<TFactory> where TFactory : IStoreFactory, new()
{
    [StoreFact]
    public async Task Expired_leases_are_listed_and_live_ones_are_not()
    {
        var dead = await InsertAsync(Row());
        var alive = await InsertAsync(Row());
        await ClaimAsync(max: 1, worker: "dead", now: T0);
        await ClaimAsync(max: 1, worker: "alive", now: T0.AddSeconds(20));
        var expired = await Store.JobListExpiredAsync(new JobExpiredParams(100, T0 + Lease + TimeSpan.FromSeconds(1)), default);
        var job = Assert.Single(expired);
        Assert.Equal((dead, 1, "dead", "test.kind"), (job.Id, job.Attempt, job.WorkerId, job.Kind));
        Assert.Equal(2, (await Store.JobListExpiredAsync(new JobExpiredParams(100, T0.AddSeconds(20) + Lease + TimeSpan.FromSeconds(1)), default)).Count);
        Assert.Equal(JobState.Running, (await GetAsync(alive)).State);
    }

    [StoreFact]
    public async Task A_rescue_applies_only_while_the_lease_is_still_expired()
    {
        var id = await InsertAsync(Row(maxAttempts: 3));
        Assert.Single(await ClaimAsync(worker: "slow", now: T0));
        var late = T0 + Lease + TimeSpan.FromSeconds(1);
        Assert.Single(await Store.JobListExpiredAsync(new JobExpiredParams(10, late), default));
        // The worker's heartbeat lands after the rescuer looked and before it wrote: the heartbeat wins.
        await Store.JobHeartbeatAsync(new JobHeartbeatParams("slow", [L(id)], Lease, late), default);
        var rescue = AttemptOutcome.Rescued(L(id), "slow", E("lost"), TimeSpan.FromSeconds(1));
        Assert.Empty(await ApplyAsync(late, rescue));
        Assert.Equal(JobState.Running, (await GetAsync(id)).State);

        // Once it really expires, the same rescue is applied: back to scheduled with a WorkerLost error.
        var later = late + Lease + TimeSpan.FromSeconds(1);
        Assert.Equal([id], await ApplyAsync(later, rescue));
        var job = await GetAsync(id);
        Assert.Equal((JobState.Scheduled, later.AddSeconds(1), "lost"), (job.State, job.RunAt, Assert.Single(job.Errors).Message));
    }

    [StoreFact]
    public async Task Due_scheduled_jobs_are_promoted_to_queued()
    {
        var due = await InsertAsync(Row(runAt: T0.AddSeconds(5)));
        var later = await InsertAsync(Row(runAt: T0.AddHours(5)));
        Assert.Equal(1, await Store.JobPromoteScheduledAsync(new JobPromoteParams(100, T0.AddSeconds(6)), default));
        Assert.Equal(JobState.Queued, (await GetAsync(due)).State);
        Assert.Equal(JobState.Scheduled, (await GetAsync(later)).State);
    }

    [StoreFact]
    public async Task Prune_deletes_only_old_finished_jobs_in_batches()
    {
        var ids = await InsertManyAsync(5);
        await ClaimAsync(max: 5);
        await ApplyAsync(T0, AttemptOutcome.Completed(L(ids[0]), "w1", null), AttemptOutcome.Completed(L(ids[1]), "w1", null), AttemptOutcome.Failed(L(ids[3]), "w1", E("x")));
        await ApplyAsync(T0.AddDays(6), AttemptOutcome.Completed(L(ids[2]), "w1", null));
        // At T0 + 8 days: completed more than 7 days ago go; failed ones are kept for 30.
        var prune = new JobPruneParams(CompletedRetention: TimeSpan.FromDays(7), FailedRetention: TimeSpan.FromDays(30), BatchSize: 1, Now: T0.AddDays(8));
        Assert.Equal(1, await Store.JobPruneAsync(prune, default));
        Assert.Equal(1, await Store.JobPruneAsync(prune, default));
        Assert.Equal(0, await Store.JobPruneAsync(prune, default));
        Assert.Null(await Store.JobGetAsync(ids[0], default));
        Assert.Null(await Store.JobGetAsync(ids[1], default));
        Assert.NotNull(await Store.JobGetAsync(ids[2], default));
        Assert.NotNull(await Store.JobGetAsync(ids[3], default));
        Assert.NotNull(await Store.JobGetAsync(ids[4], default));
        Assert.Equal(1, await Store.JobPruneAsync(prune with { FailedRetention = TimeSpan.FromDays(7) }, default));
        Assert.Null(await Store.JobGetAsync(ids[3], default));
    }
}

/// <summary>The worker registry (<see cref="IWorkerRegistry"/>) and its pruning.</summary>
public abstract class WorkerRegistryConformance<TFactory> : StoreConformance<TFactory> where TFactory : IStoreFactory, new()
{
    [StoreFact]
    public async Task Workers_register_refresh_list_remove_and_age_out_on_the_stores_clock()
    {
        await Store.WorkerUpsertAsync(new WorkerUpsertParams("w-a", "host1", 101, ["default", "mail"], 8, 0, T0), default);
        await Store.WorkerUpsertAsync(new WorkerUpsertParams("w-b", "host2", 202, ["default"], 4, 0, T0), default);
        await Store.WorkerUpsertAsync(new WorkerUpsertParams("w-a", "host1", 101, ["default", "mail"], 8, 3, T0.AddMinutes(5)), default);
        var workers = (await Store.WorkerListAsync(new WorkerListParams(), default)).ToDictionary(w => w.Id);
        Assert.Equal(2, workers.Count);
        Assert.Equal((T0.AddMinutes(5), 3, T0), (workers["w-a"].LastSeenAt, workers["w-a"].Running, workers["w-a"].StartedAt));
        Assert.Equal(["default", "mail"], workers["w-a"].Queues);
        Assert.Equal(("host2", 202, 4), (workers["w-b"].Host, workers["w-b"].Pid, workers["w-b"].Concurrency));
        Assert.Null(workers["w-a"].Kinds);

        await Store.WorkerUpsertAsync(new WorkerUpsertParams("w-b", "host2", 202, ["default"], 4, 0, T0, Kinds: ["mail.send", "report.build"]), default);
        Assert.Equal(["mail.send", "report.build"], (await Store.WorkerListAsync(new WorkerListParams(), default)).Single(w => w.Id == "w-b").Kinds);

        Assert.Equal(1, await Store.WorkerPruneAsync(new WorkerPruneParams(TimeSpan.FromMinutes(1), T0.AddMinutes(2)), default));
        Assert.Equal("w-a", Assert.Single(await Store.WorkerListAsync(new WorkerListParams(), default)).Id);
        await Store.WorkerRemoveAsync(new WorkerRemoveParams("w-a"), default);
        Assert.Empty(await Store.WorkerListAsync(new WorkerListParams(), default));
    }
}
