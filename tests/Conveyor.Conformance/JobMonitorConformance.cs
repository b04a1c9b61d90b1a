using Conveyor.Storage;
using Xunit;

namespace Conveyor.Conformance;

/// <summary>Queries (<see cref="IJobMonitor"/>): get, list with filters and paging, queue statistics.</summary>
public abstract class JobMonitorConformance<TFactory> : StoreConformance<TFactory> where TFactory : IStoreFactory, new()
{
    [StoreFact]
    public async Task Get_unknown_id_returns_null()
    {
        Assert.Null(await Store.JobGetAsync(987654321, default));
    }

    [StoreFact]
    public async Task List_filters_and_pages_newest_first()
    {
        for (var i = 0; i < 5; i++)
            await InsertAsync(Row(kind: "k.a", batchId: "b1"));
        var other = await InsertAsync(Row(kind: "k.b", queue: "q2"));
        var page1 = await Store.JobListAsync(new JobListParams(Kind: "k.a", Limit: 3), default);
        Assert.Equal(3, page1.Count);
        Assert.True(page1[0].Id > page1[1].Id);
        var page2 = await Store.JobListAsync(new JobListParams(Kind: "k.a", Limit: 3, AfterId: page1[^1].Id), default);
        Assert.Equal(2, page2.Count);
        Assert.Empty(page1.Select(j => j.Id).Intersect(page2.Select(j => j.Id)));
        Assert.Equal(other, Assert.Single(await Store.JobListAsync(new JobListParams(Queue: "q2"), default)).Id);
        Assert.Equal(5, (await Store.JobListAsync(new JobListParams(BatchId: "b1"), default)).Count);
        Assert.Equal(6, (await Store.JobListAsync(new JobListParams(State: JobState.Queued), default)).Count);
        Assert.Empty(await Store.JobListAsync(new JobListParams(State: JobState.Failed), default));
    }

    [StoreFact]
    public async Task Queue_stats_count_states_and_age_of_oldest_ready_job_on_the_stores_clock()
    {
        await InsertAsync(Row(queue: "a", runAt: T0.AddSeconds(-30)));
        await InsertAsync(Row(queue: "a", runAt: T0.AddSeconds(-5)));
        await InsertAsync(Row(queue: "a", runAt: T0.AddHours(1)));
        await InsertAsync(Row(queue: "b"));
        await ClaimAsync(1, "w1", null, "b");
        var stats = (await Store.QueueStatsAsync(new QueueStatsParams(T0), default)).ToDictionary(s => s.Queue);
        Assert.Equal((2, 1), (stats["a"].Count(JobState.Queued), stats["a"].Count(JobState.Scheduled)));
        Assert.Equal(TimeSpan.FromSeconds(30), stats["a"].OldestWaitingAge);
        Assert.Equal(1, stats["b"].Count(JobState.Running));
        Assert.Null(stats["b"].OldestWaitingAge);
        // Ten seconds later on the store's clock, the same job has waited ten seconds longer.
        var later = (await Store.QueueStatsAsync(new QueueStatsParams(T0.AddSeconds(10)), default)).ToDictionary(s => s.Queue);
        Assert.Equal(TimeSpan.FromSeconds(40), later["a"].OldestWaitingAge);
    }

    [StoreFact]
    public async Task A_batch_has_counts_by_state_and_the_mean_of_its_jobs_progress()
    {
        Assert.Null(await Store.BatchStatusAsync("b1", default));
        var ids = (await Store.JobInsertManyAsync(new JobInsertManyParams([.. Enumerable.Range(0, 4).Select(_ => Row(batchId: "b1"))], T0), default)).Select(r => r.Id).ToList();
        await InsertAsync(Row(batchId: "other"));
        var claimed = await ClaimAsync(3);
        await ApplyAsync(T0, AttemptOutcome.Completed(claimed[0].Lease, "w1", "1"), AttemptOutcome.Failed(claimed[1].Lease, "w1", E("x")));
        await Store.JobProgressAsync(new JobProgressParams(claimed[2].Id, 1, "w1", new JobProgress(null, null, 1, 4)), default);
        var batch = await Store.BatchStatusAsync("b1", default);
        Assert.NotNull(batch);
        Assert.Equal((4L, 2L, false), (batch!.Total, batch.Finished, batch.Done));
        Assert.Equal((1L, 1L, 1L, 1L), (batch.Counts[JobState.Completed], batch.Counts[JobState.Failed], batch.Counts[JobState.Running], batch.Counts[JobState.Queued]));
        Assert.Equal((100 + 100 + 25 + 0) / 4.0, batch.Progress, 2);
    }

    [StoreFact]
    public async Task Oldest_waiting_age_looks_across_priorities()
    {
        await InsertAsync(Row(queue: "p", priority: 5, runAt: T0.AddSeconds(-10)));
        await InsertAsync(Row(queue: "p", priority: 0, runAt: T0.AddSeconds(-90)));
        await InsertAsync(Row(queue: "p", priority: -3, runAt: T0.AddSeconds(-40)));
        await InsertAsync(Row(queue: "p", priority: 9, runAt: T0.AddHours(2)));
        var stats = Assert.Single(await Store.QueueStatsAsync(new QueueStatsParams(T0), default));
        Assert.Equal(TimeSpan.FromSeconds(90), stats.OldestWaitingAge);
        Assert.Equal((3, 1), (stats.Count(JobState.Queued), stats.Count(JobState.Scheduled)));
    }

    [StoreFact]
    public async Task Maintained_counts_follow_every_change_of_state_and_every_delete()
    {
        var ids = await InsertManyAsync(8, "m");
        await InsertAsync(Row(queue: "m", runAt: T0.AddMinutes(5)));
        var claimed = await ClaimAsync(5, "w1", null, "m");
        await ApplyAsync(T0, AttemptOutcome.Completed(claimed[0].Lease, "w1", "1"), AttemptOutcome.Completed(claimed[1].Lease, "w1", "1"),
            AttemptOutcome.Failed(claimed[2].Lease, "w1", E("x")), AttemptOutcome.Retried(claimed[3].Lease, "w1", E("y"), TimeSpan.FromMinutes(1)));
        await Store.JobCountsFoldAsync(default); // some changes folded into the totals, the rest still appended
        await Store.JobCancelAsync(new JobCancelParams(ids[7], T0), default);
        await Store.JobRetryAsync(new JobRetryParams(claimed[2].Id, T0), default);
        await Store.JobBulkAsync(new JobBulkParams(JobBulkAction.Delete, [claimed[0].Id, ids[7]], T0), default);
        await Store.JobPromoteScheduledAsync(new JobPromoteParams(100, T0.AddMinutes(10)), default);
        await Store.JobPruneAsync(new JobPruneParams(TimeSpan.Zero, TimeSpan.FromDays(1), 100, T0.AddMinutes(10)), default);

        var actual = (await Store.JobListAsync(new JobListParams(Queue: "m", Limit: 500), default)).GroupBy(j => j.State).ToDictionary(g => g.Key, g => (long)g.Count());
        var stats = Assert.Single(await Store.QueueStatsAsync(new QueueStatsParams(T0.AddMinutes(10)), default));
        Assert.Equal(actual.OrderBy(kv => kv.Key), stats.Counts.Where(kv => kv.Value != 0).OrderBy(kv => kv.Key));
        await Store.JobCountsFoldAsync(default);
        stats = Assert.Single(await Store.QueueStatsAsync(new QueueStatsParams(T0.AddMinutes(10)), default));
        Assert.Equal(actual.OrderBy(kv => kv.Key), stats.Counts.Where(kv => kv.Value != 0).OrderBy(kv => kv.Key));
    }

    [StoreFact]
    public async Task Throughput_counts_completed_and_failed_per_minute_before_and_after_folding()
    {
        await InsertManyAsync(4, "t");
        var claimed = await ClaimAsync(4, "w1", null, "t");
        await ApplyAsync(T0.AddSeconds(5), AttemptOutcome.Completed(claimed[0].Lease, "w1", "1"), AttemptOutcome.Failed(claimed[1].Lease, "w1", E("x")));
        await Store.JobCountsFoldAsync(default);
        await ApplyAsync(T0.AddSeconds(70), AttemptOutcome.Completed(claimed[2].Lease, "w1", "1"),
            AttemptOutcome.Retried(claimed[3].Lease, "w1", E("y"), TimeSpan.FromMinutes(1)));
        var minute = new DateTimeOffset(2026, 1, 1, 12, 0, 0, TimeSpan.Zero);
        ThroughputPoint[] expected = [new(minute, 1, 1), new(minute.AddMinutes(1), 1, 0)];
        Assert.Equal(expected, await Store.ThroughputAsync(new ThroughputParams(minute.AddMinutes(-5), "t"), default));
        await Store.JobCountsFoldAsync(default);
        Assert.Equal(expected, await Store.ThroughputAsync(new ThroughputParams(minute.AddMinutes(-5)), default));
        Assert.Empty(await Store.ThroughputAsync(new ThroughputParams(minute.AddMinutes(-5), "other"), default));
        Assert.Equal([expected[1]], await Store.ThroughputAsync(new ThroughputParams(minute.AddMinutes(1), "t"), default));
    }
}

/// <summary>Schema migrations (<see cref="IStoreMigrator"/>).</summary>
public abstract class MigratorConformance<TFactory> : StoreConformance<TFactory> where TFactory : IStoreFactory, new()
{
    [StoreFact]
    public async Task Migrate_is_idempotent_and_a_second_instance_sees_the_same_schema()
    {
        await Store.MigrateAsync(default);
        await Store.MigrateAsync(default);
        var id = await InsertAsync(Row());
        await using var again = await Factory.OpenAgainAsync();
        await again.MigrateAsync(default);
        Assert.Equal("test.kind", (await again.JobGetAsync(id, default))!.Kind);
    }
}
