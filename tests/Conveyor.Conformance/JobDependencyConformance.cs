using Conveyor.Storage;
using Xunit;

namespace Conveyor.Conformance;

/// <summary>
/// Jobs that wait on others: inserted waiting, released (queued, or failed with a dependency they may not ignore) by the
/// transaction that ends their last dependency, whichever process and whichever way (outcome, cancel, delete) it ends.
/// </summary>
public abstract class JobDependencyConformance<TFactory> : StoreConformance<TFactory> where TFactory : IStoreFactory, new()
{
    private static JobInsertRow Waiting(string kind, params JobDependencyRow[] on) => Row(kind) with { DependsOn = on };

    private static JobDependencyRow Id(long id, bool ignore = false) => new(id, null, ignore);

    private static JobDependencyRow Index(int index, bool ignore = false) => new(null, index, ignore);

    private async Task<List<long>> InsertAsync(params JobInsertRow[] rows) =>
        [.. (await Store.JobInsertManyAsync(new JobInsertManyParams(rows, T0), default)).Select(r => r.Id)];

    private async Task<ClaimedJob> ClaimOneAsync(long id)
    {
        var claimed = await ClaimAsync(100);
        // Hand back what the test did not ask for, so that later claims see it again.
        await ApplyAsync(T0, [.. claimed.Where(c => c.Id != id).Select(c => AttemptOutcome.HandedBack(c.Lease, "w1"))]);
        return Assert.Single(claimed, c => c.Id == id);
    }

    private async Task CompleteAsync(long id, string result = "{}") => await ApplyAsync(T0, AttemptOutcome.Completed((await ClaimOneAsync(id)).Lease, "w1", result));

    private async Task FailAsync(long id) => await ApplyAsync(T0, AttemptOutcome.Failed((await ClaimOneAsync(id)).Lease, "w1", E("boom")));

    private async Task<JobState> StateAsync(long id) => (await GetAsync(id)).State;

    [StoreFact]
    public async Task A_job_waits_until_its_dependency_completes_and_then_reads_its_result()
    {
        var upload = (await InsertAsync(Row("file.upload")))[0];
        var scan = (await InsertAsync(Waiting("file.scan", Id(upload))))[0];
        Assert.Equal(JobState.Waiting, await StateAsync(scan));
        var claimed = await ClaimAsync(10);
        Assert.Equal([upload], claimed.Select(c => c.Id));
        await ApplyAsync(T0, AttemptOutcome.HandedBack(claimed[0].Lease, "w1"));

        await CompleteAsync(upload, """{"bytes":42}""");
        Assert.Equal(JobState.Queued, await StateAsync(scan));
        var dependency = Assert.Single(await Store.JobDependenciesAsync(scan, default));
        Assert.Equal((upload, "file.upload", JobState.Completed, DependencyFailure.Fail), (dependency.JobId, dependency.Kind, dependency.State, dependency.OnFailure));
        Assert.Equal(42, dependency.Result!.Value.GetProperty("bytes").GetInt32());
        Assert.Equal(upload, Assert.Single((await GetAsync(scan)).Dependencies!).JobId);
        Assert.Empty(await Store.JobDependenciesAsync(upload, default));
        Assert.Contains(await ClaimAsync(10), c => c.Id == scan);
    }

    [StoreFact]
    public async Task Dependencies_that_already_ended_release_or_fail_the_job_at_insert()
    {
        var done = (await InsertAsync(Row("a")))[0];
        await CompleteAsync(done);
        var failed = (await InsertAsync(Row("b")))[0];
        await FailAsync(failed);

        var ready = (await InsertAsync(Waiting("after.done", Id(done))))[0];
        var doomed = (await InsertAsync(Waiting("after.failed", Id(done), Id(failed))))[0];
        var tolerant = (await InsertAsync(Waiting("after.failed.ignored", Id(failed, ignore: true))))[0];
        var later = (await InsertAsync(Row("later", runAt: T0.AddHours(1)) with { DependsOn = [Id(done)] }))[0];

        Assert.Equal(JobState.Queued, await StateAsync(ready));
        Assert.Equal(JobState.Queued, await StateAsync(tolerant));
        Assert.Equal(JobState.Scheduled, await StateAsync(later));
        var job = await GetAsync(doomed);
        Assert.Equal(JobState.Failed, job.State);
        Assert.NotNull(job.FinishedAt);
        var error = Assert.Single(job.Errors);
        Assert.Equal("DependencyFailed", error.Type);
        Assert.Equal($"Dependency {failed} ended failed.", error.Message);
    }

    [StoreFact]
    public async Task An_unknown_dependency_is_refused_and_nothing_is_written()
    {
        var existing = (await InsertAsync(Row("a")))[0];
        var ex = await Assert.ThrowsAnyAsync<ArgumentException>(() => InsertAsync(Row("ok"), Waiting("bad", Id(existing), Id(existing + 1000))));
        Assert.Contains((existing + 1000).ToString(), ex.Message);
        Assert.Single(await Store.JobListAsync(new JobListParams(Limit: 100), default));
    }

    [StoreFact]
    public async Task A_diamond_in_one_insert_runs_in_order()
    {
        // a -> (b, c) -> d, by position in one insert.
        var ids = await InsertAsync(Row("a"), Waiting("b", Index(0)), Waiting("c", Index(0)), Waiting("d", Index(1), Index(2)));
        var (a, b, c, d) = (ids[0], ids[1], ids[2], ids[3]);
        Assert.Equal([JobState.Queued, JobState.Waiting, JobState.Waiting, JobState.Waiting], [await StateAsync(a), await StateAsync(b), await StateAsync(c), await StateAsync(d)]);
        Assert.Equal([b, c], (await Store.JobDependenciesAsync(d, default)).Select(x => x.JobId));

        await CompleteAsync(a);
        Assert.Equal([JobState.Queued, JobState.Queued, JobState.Waiting], [await StateAsync(b), await StateAsync(c), await StateAsync(d)]);
        await CompleteAsync(b);
        Assert.Equal(JobState.Waiting, await StateAsync(d));
        await CompleteAsync(c);
        Assert.Equal(JobState.Queued, await StateAsync(d));
    }

    [StoreFact]
    public async Task A_failure_fails_its_dependents_down_the_graph_unless_an_edge_ignores_it()
    {
        var ids = await InsertAsync(Row("a"), Waiting("b", Index(0)), Waiting("c", Index(0, ignore: true)), Waiting("d", Index(1)), Waiting("e", Index(3, ignore: true)));
        await FailAsync(ids[0]);
        Assert.Equal(JobState.Failed, await StateAsync(ids[1]));
        Assert.Equal(JobState.Queued, await StateAsync(ids[2]));
        var d = await GetAsync(ids[3]);
        Assert.Equal((JobState.Failed, $"Dependency {ids[1]} ended failed."), (d.State, Assert.Single(d.Errors).Message));
        Assert.Equal(JobState.Queued, await StateAsync(ids[4])); // e ignores d's failure

        var stats = Assert.Single(await Store.QueueStatsAsync(new QueueStatsParams(T0), default));
        Assert.Equal(0, stats.Count(JobState.Waiting));
        Assert.Equal(3, stats.Count(JobState.Failed));
    }

    [StoreFact]
    public async Task Cancelling_a_dependency_or_deleting_it_fails_its_dependents_and_a_waiting_job_can_be_cancelled()
    {
        var ids = await InsertAsync(Row("a"), Waiting("b", Index(0)), Row("c"), Waiting("d", Index(2)), Waiting("e", Index(2, ignore: true)), Row("f"), Waiting("g", Index(5)));
        var stats = Assert.Single(await Store.QueueStatsAsync(new QueueStatsParams(T0), default));
        Assert.Equal(4, stats.Count(JobState.Waiting));

        await Store.JobCancelAsync(new JobCancelParams(ids[0], T0), default);
        Assert.Equal(JobState.Failed, await StateAsync(ids[1]));
        Assert.Equal($"Dependency {ids[0]} ended cancelled.", Assert.Single((await GetAsync(ids[1])).Errors).Message);

        await Store.JobBulkAsync(new JobBulkParams(JobBulkAction.Delete, [ids[2]], T0), default);
        Assert.Equal($"Dependency {ids[2]} was deleted.", Assert.Single((await GetAsync(ids[3])).Errors).Message);
        Assert.Equal(JobState.Queued, await StateAsync(ids[4]));
        Assert.Equal(DependencyFailure.Ignore, Assert.Single(await Store.JobDependenciesAsync(ids[4], default)) is { State: null, Kind: null } x ? x.OnFailure : default);

        var cancel = await Store.JobCancelAsync(new JobCancelParams(ids[6], T0), default);
        Assert.Equal((JobCancelOutcome.Cancelled, JobState.Cancelled), (cancel.Outcome, cancel.State));
        await CompleteAsync(ids[5]);
        Assert.Equal(JobState.Cancelled, await StateAsync(ids[6]));
    }

    [StoreFact]
    public async Task A_waiting_job_holds_its_unique_key_and_the_pruner_keeps_dependencies_of_unfinished_jobs()
    {
        var ids = await InsertAsync(Row("a"), Row("b"), Row("c", uniqueKey: "report") with { DependsOn = [Index(0), Index(1)] });
        var again = await Store.JobInsertManyAsync(new JobInsertManyParams([Row("c", uniqueKey: "report") with { DependsOn = [Id(ids[0])] }], T0), default);
        Assert.Equal((ids[2], true), (again[0].Id, again[0].Duplicate));
        Assert.Equal(2, (await Store.JobDependenciesAsync(ids[2], default)).Count);

        await CompleteAsync(ids[0], """{"part":1}""");
        var prune = new JobPruneParams(TimeSpan.Zero, TimeSpan.Zero, 100, T0.AddDays(1));
        Assert.Equal(0, await Store.JobPruneAsync(prune, default)); // c still waits on b: a's result stays
        await CompleteAsync(ids[1]);
        Assert.Equal(1, (await Store.JobDependenciesAsync(ids[2], default)).Count(x => x.Result is { } r && r.TryGetProperty("part", out var part) && part.GetInt32() == 1));
        var c = await ClaimOneAsync(ids[2]);
        await ApplyAsync(T0, AttemptOutcome.Completed(c.Lease, "w1", null));
        Assert.Equal(3, await Store.JobPruneAsync(prune, default));
        Assert.Empty(await Store.JobDependenciesAsync(ids[2], default));
    }

    [StoreFact]
    public async Task The_last_two_dependencies_ending_at_once_in_two_processes_release_the_job_once()
    {
        await using var other = await Factory.OpenAgainAsync();
        for (var round = 0; round < 10; round++)
        {
            var ids = await InsertAsync(Row($"a{round}"), Row($"b{round}"), Waiting($"c{round}", Index(0), Index(1)));
            var claimed = await ClaimAsync(2, "w1");
            Assert.Equal(2, claimed.Count);
            await Task.WhenAll(
                Store.JobApplyOutcomesAsync(new JobApplyOutcomesParams([AttemptOutcome.Completed(claimed[0].Lease, "w1", "1")], T0), default),
                other.JobApplyOutcomesAsync(new JobApplyOutcomesParams([AttemptOutcome.Completed(claimed[1].Lease, "w1", "1")], T0), default));
            Assert.Equal(JobState.Queued, await StateAsync(ids[2]));
            var next = Assert.Single(await ClaimAsync(5, "w1"));
            Assert.Equal(ids[2], next.Id);
            await ApplyAsync(T0, AttemptOutcome.Completed(next.Lease, "w1", null));
        }
    }

    [StoreFact]
    public async Task A_dependency_ending_while_a_dependent_is_inserted_in_another_process_never_strands_it()
    {
        await using var other = await Factory.OpenAgainAsync();
        for (var round = 0; round < 10; round++)
        {
            var dependency = (await InsertAsync(Row($"a{round}")))[0];
            var lease = (await ClaimOneAsync(dependency)).Lease;
            var insert = other.JobInsertManyAsync(new JobInsertManyParams([Waiting($"b{round}", Id(dependency))], T0), default);
            await Store.JobApplyOutcomesAsync(new JobApplyOutcomesParams([AttemptOutcome.Completed(lease, "w1", "1")], T0), default);
            var dependent = (await insert)[0].Id;
            Assert.Equal(JobState.Queued, await StateAsync(dependent));
            await CompleteAsync(dependent);
        }
    }

    [StoreFact]
    public async Task Batch_progress_is_weighted()
    {
        await InsertAsync(Row("small", batchId: "weighted") with { Weight = 1 }, Row("large", batchId: "weighted") with { Weight = 3 });
        var large = (await Store.JobListAsync(new JobListParams(Kind: "large", Limit: 10), default)).Single();
        Assert.Equal(3, large.Weight);
        await CompleteAsync(large.Id);
        var status = await Store.BatchStatusAsync("weighted", default);
        Assert.Equal(75, status!.Progress);
    }
}
