using Conveyor.Storage;
using Xunit;

namespace Conveyor.Conformance;

/// <summary>
/// Queue limits (<see cref="IJobAdminStore.QueueLimitsAsync"/>), enforced by <see cref="IJobExecutionStore.JobClaimAsync"/>:
/// concurrency across workers, per concurrency key, and a rate; a job a limit holds back stays queued and uncharged.
/// </summary>
public abstract class QueueLimitsConformance<TFactory> : StoreConformance<TFactory> where TFactory : IStoreFactory, new()
{
    private Task<QueueLimits> LimitAsync(string queue, QueueLimits limits) => Store.QueueLimitsAsync(new QueueLimitsParams(queue, limits), default);

    private static JobInsertRow Keyed(string? key, string queue = "default") =>
        new("test.kind", queue, "{}", 0, 3, T0, null, key, null, [], null);

    private async Task<QueueStats> StatsAsync(string queue, DateTimeOffset now) =>
        (await Store.QueueStatsAsync(new QueueStatsParams(now), default)).Single(q => q.Queue == queue);

    [StoreFact]
    public async Task Limits_are_stored_replaced_and_cleared_and_shown_with_the_queue()
    {
        Assert.False((await LimitAsync("llm", new QueueLimits(4, 2, new QueueRate(10, TimeSpan.FromSeconds(1))))).Any);
        Assert.Equal(new QueueLimits(4, 2, new QueueRate(10, TimeSpan.FromSeconds(1))), (await StatsAsync("llm", T0)).Limits);  // a queue without jobs

        Assert.Equal(new QueueLimits(4, 2, new QueueRate(10, TimeSpan.FromSeconds(1))), await LimitAsync("llm", new QueueLimits(Concurrency: 8)));
        await InsertAsync(Row(queue: "llm"));
        Assert.Equal(new QueueLimits(8), (await StatsAsync("llm", T0)).Limits);
        Assert.Equal(new QueueLimits(8), await LimitAsync("llm", new QueueLimits()));
        Assert.False((await StatsAsync("llm", T0)).Limits.Any);
    }

    [StoreFact]
    public async Task Out_of_range_limits_are_refused_and_change_nothing()
    {
        await LimitAsync("llm", new QueueLimits(4));
        await Assert.ThrowsAsync<JobValidationException>(() => LimitAsync("llm", new QueueLimits(0)));
        await Assert.ThrowsAsync<JobValidationException>(() => LimitAsync("llm", new QueueLimits(PerKey: -1)));
        await Assert.ThrowsAsync<JobValidationException>(() => LimitAsync("llm", new QueueLimits(Rate: new QueueRate(5, TimeSpan.FromMilliseconds(1)))));
        Assert.Equal(new QueueLimits(4), (await StatsAsync("llm", T0)).Limits);
    }

    [StoreFact]
    public async Task A_concurrency_limit_caps_running_jobs_and_a_finished_or_rescued_job_frees_its_place()
    {
        await InsertManyAsync(10);
        var other = await InsertAsync(Row(queue: "other"));
        await LimitAsync("default", new QueueLimits(Concurrency: 3));

        var first = await Store.JobClaimAsync(new JobClaimParams("w1", ["default", "other"], 10, Lease, T0), default);
        Assert.Equal(4, first.Count);                                   // 3 of default, and the other queue is not limited
        Assert.Contains(other, first.Select(j => j.Id));
        Assert.Empty(await ClaimAsync(10, "w2"));                       // full for every worker
        Assert.Equal(7, (await StatsAsync("default", T0)).Count(JobState.Queued));   // held back, untouched

        var mine = first.Where(j => j.Queue == "default").ToList();
        await ApplyAsync(T0, AttemptOutcome.Completed(L(mine[0].Id), "w1", null));
        Assert.Single(await ClaimAsync(10, "w2"));
        var expired = T0 + Lease + TimeSpan.FromSeconds(1);
        Assert.Empty(await ClaimAsync(10, "w2", expired));              // an expired lease holds its place until the rescue
        await ApplyAsync(expired, AttemptOutcome.Rescued(L(mine[1].Id), "w1", E("lease expired"), TimeSpan.Zero));
        Assert.Single(await ClaimAsync(10, "w2", expired));
        Assert.Empty(await ClaimAsync(10, "w2", expired));

        await LimitAsync("default", new QueueLimits(Concurrency: 5));   // raised: two more places, no restart
        Assert.Equal(2, (await ClaimAsync(10, "w3", expired)).Count);
    }

    [StoreFact]
    public async Task Jobs_claimed_ahead_leave_a_limits_last_places_to_other_workers_free_slots()
    {
        await InsertManyAsync(30);
        var others = await InsertManyAsync(30, queue: "other");
        await LimitAsync("default", new QueueLimits(Concurrency: 10));
        // Workers of 4 slots, all free, each asking for 20 more to buffer. The first gets its 4 and, of the 6 places left,
        // the 2 beyond the 4 it reserves; the second's free slots get the last 4, its buffer none; the third gets nothing.
        JobClaimParams Ask(string worker, IReadOnlyList<string> queues) => new(worker, queues, 24, Lease, T0, Ahead: 20, Reserve: 4);
        Assert.Equal(6, (await Store.JobClaimAsync(Ask("w1", ["default"]), default)).Count);
        Assert.Equal(4, (await Store.JobClaimAsync(Ask("w2", ["default"]), default)).Count);
        Assert.Empty(await Store.JobClaimAsync(Ask("w3", ["default"]), default));
        Assert.Equal(10, (await StatsAsync("default", T0)).Count(JobState.Running));

        // A queue without a limit fills the buffer: with the limited one full, all 24 come from it.
        var mixed = await Store.JobClaimAsync(Ask("w4", ["default", "other"]), default);
        Assert.Equal(24, mixed.Count);
        Assert.All(mixed, j => Assert.Contains(j.Id, others));
    }

    [StoreFact]
    public async Task Concurrent_claims_never_exceed_the_limit()
    {
        await InsertManyAsync(60);
        await LimitAsync("default", new QueueLimits(Concurrency: 4));
        await using var second = await Factory.OpenAgainAsync();
        var stores = new[] { Store, second };
        var claims = await Task.WhenAll(Enumerable.Range(0, 12).Select(i =>
            stores[i % 2].JobClaimAsync(new JobClaimParams($"w{i}", ["default"], 5, Lease, T0), default)));
        Assert.Equal(4, claims.Sum(c => c.Count));
        Assert.Equal(4, (await StatsAsync("default", T0)).Count(JobState.Running));
    }

    [StoreFact]
    public async Task A_limit_another_process_set_a_moment_ago_is_never_exceeded()
    {
        await InsertManyAsync(20);
        await using var other = await Factory.OpenAgainAsync();
        Assert.Single(await other.JobClaimAsync(new JobClaimParams("w2", ["default"], 1, Lease, T0), default));   // it has looked: no limits
        await LimitAsync("default", new QueueLimits(Concurrency: 3));
        await other.JobClaimAsync(new JobClaimParams("w2", ["default"], 10, Lease, T0), default);
        Assert.True((await StatsAsync("default", T0)).Count(JobState.Running) <= 3);
        await ClaimAsync(10);   // this process knows (or the other filled it): the limit is full, not exceeded
        Assert.Equal(3, (await StatsAsync("default", T0)).Count(JobState.Running));
    }

    [StoreFact]
    public async Task A_per_key_limit_holds_a_full_key_back_without_blocking_the_keys_behind_it()
    {
        var big = new List<long>();
        for (var i = 0; i < 20; i++)
            big.Add(await InsertAsync(Keyed("tenant-big")));
        var small1 = await InsertManyKeyedAsync("tenant-a", 3);
        var small2 = await InsertManyKeyedAsync("tenant-b", 3);
        var unkeyed = await InsertManyKeyedAsync(null, 2);
        await LimitAsync("default", new QueueLimits(PerKey: 2));

        // In claim order, at most two per key: the big tenant's first two, then the next best.
        Assert.Equal([big[0], big[1], small1[0]], (await ClaimAsync(3)).Select(j => j.Id).Order());
        // Its backlog stands first in line, yet the next claim reaches the other keys and the unkeyed jobs behind it.
        var next = (await ClaimAsync(20, "w2")).Select(j => j.Id).Order().ToList();
        Assert.Equal([small1[1], .. small2[..2], .. unkeyed], next);
        Assert.Empty(await ClaimAsync(20, "w3"));
        Assert.Equal(0, (await GetAsync(big[2])).Attempt);   // held back, uncharged

        await ApplyAsync(T0, AttemptOutcome.Completed(L(small1[0]), "w1", null));
        await ApplyAsync(T0, AttemptOutcome.Completed(L(big[0]), "w1", null));
        Assert.Equal([big[2], small1[2]], (await ClaimAsync(20, "w3")).Select(j => j.Id).Order());
    }

    [StoreFact]
    public async Task A_rate_limit_allows_its_count_per_window_across_workers()
    {
        await InsertManyAsync(10);
        await LimitAsync("default", new QueueLimits(Rate: new QueueRate(3, TimeSpan.FromSeconds(1))));

        Assert.Equal(2, (await ClaimAsync(2, "w1", T0)).Count);
        Assert.Single(await ClaimAsync(10, "w2", T0.AddMilliseconds(100)));   // what is left of the window, for any worker
        Assert.Empty(await ClaimAsync(10, "w2", T0.AddMilliseconds(500)));
        Assert.Equal(T0.AddSeconds(1), (await StatsAsync("default", T0.AddMilliseconds(500))).RateLimitedUntil);

        Assert.Equal(3, (await ClaimAsync(10, "w1", T0.AddSeconds(1))).Count);   // the next window
        Assert.Empty(await ClaimAsync(10, "w1", T0.AddSeconds(1.9)));
        Assert.Null((await StatsAsync("default", T0.AddSeconds(2))).RateLimitedUntil);
        Assert.Equal(3, (await ClaimAsync(10, "w1", T0.AddSeconds(2.5))).Count);
    }

    [StoreFact]
    public async Task Limits_and_pause_combine_and_each_queue_keeps_its_own()
    {
        await InsertManyAsync(5);
        await InsertManyAsync(5, "mail");
        await LimitAsync("default", new QueueLimits(Concurrency: 1));
        await LimitAsync("mail", new QueueLimits(Concurrency: 2));
        await Store.QueuePauseAsync(new QueuePauseParams("mail", true, T0), default);

        var claimed = await Store.JobClaimAsync(new JobClaimParams("w1", ["default", "mail"], 10, Lease, T0), default);
        Assert.Equal(["default"], claimed.Select(j => j.Queue));
        await Store.QueuePauseAsync(new QueuePauseParams("mail", false, T0), default);
        claimed = await Store.JobClaimAsync(new JobClaimParams("w1", ["default", "mail"], 10, Lease, T0), default);
        Assert.Equal(["mail", "mail"], claimed.Select(j => j.Queue));
    }

    private async Task<List<long>> InsertManyKeyedAsync(string? key, int count)
    {
        var ids = new List<long>();
        for (var i = 0; i < count; i++)
            ids.Add(await InsertAsync(Keyed(key)));
        return ids;
    }
}
