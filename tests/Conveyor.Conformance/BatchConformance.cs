using System.Text.Json;
using Conveyor.Storage;
using Xunit;

namespace Conveyor.Conformance;

/// <summary>Batch callbacks: enqueued exactly once, by the transaction that ends the batch's last job, whichever process that is.</summary>
public abstract class BatchConformance<TFactory> : StoreConformance<TFactory> where TFactory : IStoreFactory, new()
{
    private static IReadOnlyList<(string, JobInsertRow)> Callbacks() =>
        [("complete", Row("cb.complete", "callbacks", """{"note":"all ended"}""")), ("success", Row("cb.success", "callbacks")), ("failure", Row("cb.failure", "callbacks"))];

    private async Task<List<Job>> CallbackJobsAsync() =>
        [.. (await Store.JobListAsync(new JobListParams(Limit: 500), default)).Where(j => j.Kind.StartsWith("cb.", StringComparison.Ordinal))];

    [StoreFact]
    public async Task Callbacks_are_enqueued_once_by_the_outcome_that_ends_the_last_job()
    {
        Assert.True(await Store.BatchCreateAsync(new BatchCreateParams("b-cb", Callbacks(), T0), default));
        Assert.False(await Store.BatchCreateAsync(new BatchCreateParams("b-cb", Callbacks(), T0), default));
        var ids = (await Store.JobInsertManyAsync(new JobInsertManyParams([.. Enumerable.Range(0, 3).Select(_ => Row(batchId: "b-cb"))], T0), default)).Select(r => r.Id).ToList();
        var claimed = await ClaimAsync(3);
        await ApplyAsync(T0, AttemptOutcome.Completed(claimed[0].Lease, "w1", "1"));
        await ApplyAsync(T0, AttemptOutcome.Failed(claimed[1].Lease, "w1", E("x")));
        Assert.Empty(await CallbackJobsAsync());

        await ApplyAsync(T0, AttemptOutcome.Completed(claimed[2].Lease, "w1", "1"));
        var callbacks = await CallbackJobsAsync();
        Assert.Equal(["cb.complete", "cb.failure"], callbacks.Select(j => j.Kind).Order());
        var complete = callbacks.Single(j => j.Kind == "cb.complete");
        Assert.Equal("all ended", complete.Args.GetProperty("note").GetString());
        var batch = complete.Args.GetProperty("batch");
        Assert.Equal(("b-cb", "failure", 3, 2), (batch.GetProperty("id").GetString(), batch.GetProperty("outcome").GetString(),
            batch.GetProperty("total").GetInt32(), batch.GetProperty("completed").GetInt32()));
        Assert.Equal([claimed[1].Id], batch.GetProperty("failed").EnumerateArray().Select(e => e.GetInt64()));

        // Nothing later enqueues them again.
        await Store.JobRetryAsync(new JobRetryParams(claimed[1].Id, T0), default);
        var again = Assert.Single(await ClaimAsync(1));
        await ApplyAsync(T0, AttemptOutcome.Completed(again.Lease, "w1", "1"));
        Assert.Equal(2, (await CallbackJobsAsync()).Count);
        Assert.Contains(ids, id => id == claimed[1].Id);
    }

    [StoreFact]
    public async Task A_cancel_that_ends_the_last_job_enqueues_them_and_success_needs_every_job_completed()
    {
        Assert.True(await Store.BatchCreateAsync(new BatchCreateParams("b-ok", Callbacks(), T0), default));
        var ids = (await Store.JobInsertManyAsync(new JobInsertManyParams([Row(batchId: "b-ok"), Row(batchId: "b-ok")], T0), default)).Select(r => r.Id).ToList();
        var first = Assert.Single(await ClaimAsync(1));
        await ApplyAsync(T0, AttemptOutcome.Completed(first.Lease, "w1", "1"));
        Assert.Empty(await CallbackJobsAsync());
        await Store.JobCancelAsync(new JobCancelParams(ids.Single(id => id != first.Id), T0), default);
        Assert.Equal(["cb.complete", "cb.failure"], (await CallbackJobsAsync()).Select(j => j.Kind).Order());

        Assert.True(await Store.BatchCreateAsync(new BatchCreateParams("b-all", Callbacks(), T0), default));
        await Store.JobInsertManyAsync(new JobInsertManyParams([Row(batchId: "b-all")], T0), default);
        var only = (await ClaimAsync(5)).Single(c => c.BatchId == "b-all");
        await ApplyAsync(T0, AttemptOutcome.Completed(only.Lease, "w1", "1"));
        var successes = (await CallbackJobsAsync()).Where(j => j.Args.GetProperty("batch").GetProperty("id").GetString() == "b-all").Select(j => j.Kind).Order();
        Assert.Equal(["cb.complete", "cb.success"], successes);
    }

    [StoreFact]
    public async Task The_last_two_jobs_ending_at_once_in_two_processes_enqueue_each_callback_once()
    {
        await using var other = await Factory.OpenAgainAsync();
        for (var round = 0; round < 10; round++)
        {
            var batchId = $"race-{round}";
            Assert.True(await Store.BatchCreateAsync(new BatchCreateParams(batchId, [("complete", Row("cb.complete", "callbacks"))], T0), default));
            await Store.JobInsertManyAsync(new JobInsertManyParams([Row(batchId: batchId), Row(batchId: batchId)], T0), default);
            var a = Assert.Single(await ClaimAsync(1, "w1"));
            var b = Assert.Single(await ClaimAsync(1, "w2"));
            await Task.WhenAll(
                Store.JobApplyOutcomesAsync(new JobApplyOutcomesParams([AttemptOutcome.Completed(a.Lease, "w1", "1")], T0), default),
                other.JobApplyOutcomesAsync(new JobApplyOutcomesParams([AttemptOutcome.Completed(b.Lease, "w2", "1")], T0), default));
            var callbacks = (await CallbackJobsAsync()).Where(j => j.Args.GetProperty("batch").GetProperty("id").GetString() == batchId).ToList();
            Assert.Single(callbacks);
        }
    }
}
