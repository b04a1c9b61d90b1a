using System.Collections.Concurrent;
using System.Data.Common;
using System.Text.Json;
using Conveyor.Storage;
using Xunit;

namespace Conveyor.Testing;

/// <summary>
/// The behaviour every store must have. Each store's test project subclasses this once; a behaviour one
/// store lacks is a failing test there, never a skipped one. Times are passed explicitly, so the tests
/// never wait on a clock.
/// </summary>
public abstract class StoreConformanceTests : IAsyncLifetime
{
    protected static readonly DateTimeOffset T0 = new(2026, 1, 1, 12, 0, 0, TimeSpan.Zero);
    private IConveyorStore? _store;

    protected IConveyorStore Store => _store ?? throw new InvalidOperationException("Store not created.");

    /// <summary>A fresh, empty store of this kind (its own file, schema or database).</summary>
    protected abstract Task<IConveyorStore> CreateStoreAsync();

    /// <summary>An open transaction of the application's own on the same database, for transactional enqueue.</summary>
    protected abstract Task<DbTransaction> BeginApplicationTransactionAsync();

    public async Task InitializeAsync()
    {
        _store = await CreateStoreAsync();
        await _store.MigrateAsync(CancellationToken.None);
    }

    public async Task DisposeAsync()
    {
        if (_store is not null)
            await _store.DisposeAsync();
    }

    protected static JobInsertRow Row(string kind = "test.kind", string queue = "default", string args = "{}", int priority = 0,
        int maxAttempts = 3, DateTimeOffset? runAt = null, string? uniqueKey = null, string? batchId = null) =>
        new(kind, queue, args, priority, maxAttempts, runAt ?? T0, uniqueKey, null, batchId, ["t1"], null);

    protected async Task<long> InsertAsync(JobInsertRow row, DateTimeOffset? now = null) =>
        (await Store.JobInsertManyAsync(new JobInsertManyParams([row], now ?? T0), default))[0].Id;

    protected Task<IReadOnlyList<ClaimedJob>> ClaimAsync(int max = 10, string worker = "w1", DateTimeOffset? now = null, params string[] queues) =>
        Store.JobClaimAsync(new JobClaimParams(worker, queues.Length == 0 ? ["default"] : queues, max, now ?? T0, (now ?? T0).AddSeconds(30)), default);

    protected async Task<Job> GetAsync(long id) => await Store.JobGetAsync(id, default) ?? throw new InvalidOperationException($"job {id} missing");

    [StoreFact]
    public async Task Migrate_is_idempotent()
    {
        await Store.MigrateAsync(default);
        await Store.MigrateAsync(default);
        var id = await InsertAsync(Row());
        Assert.True(id > 0);
    }

    [StoreFact]
    public async Task Insert_stores_every_field_and_get_reads_it_back()
    {
        var id = await InsertAsync(new JobInsertRow("email.send", "mail", """{"to":"a@b.c","n":[1,2]}""", 5, 7, T0, "uk-1", "ck", "batch-1", ["x", "y"], TimeSpan.FromSeconds(90)));
        var job = await GetAsync(id);
        Assert.Equal("email.send", job.Kind);
        Assert.Equal("mail", job.Queue);
        Assert.Equal("a@b.c", job.Args.GetProperty("to").GetString());
        Assert.Equal(JobState.Queued, job.State);
        Assert.Equal(5, job.Priority);
        Assert.Equal(0, job.Attempt);
        Assert.Equal(7, job.MaxAttempts);
        Assert.Equal(T0, job.RunAt);
        Assert.Equal(T0, job.CreatedAt);
        Assert.Equal("uk-1", job.UniqueKey);
        Assert.Equal("ck", job.ConcurrencyKey);
        Assert.Equal("batch-1", job.BatchId);
        Assert.Equal(["x", "y"], job.Tags);
        Assert.Equal(TimeSpan.FromSeconds(90), job.Timeout);
        Assert.Empty(job.Errors);
        Assert.Null(job.Result);
        Assert.Null(job.StartedAt);
    }

    [StoreFact]
    public async Task Get_unknown_id_returns_null()
    {
        Assert.Null(await Store.JobGetAsync(987654321, default));
    }

    [StoreFact]
    public async Task Insert_many_returns_ids_in_request_order()
    {
        var rows = Enumerable.Range(0, 500).Select(i => Row(args: $$"""{"i":{{i}}}""")).ToList();
        var results = await Store.JobInsertManyAsync(new JobInsertManyParams(rows, T0), default);
        Assert.Equal(500, results.Count);
        Assert.All(results, r => Assert.False(r.Duplicate));
        Assert.Equal(500, results.Select(r => r.Id).Distinct().Count());
        var job = await GetAsync(results[321].Id);
        Assert.Equal(321, job.Args.GetProperty("i").GetInt32());
    }

    [StoreFact]
    public async Task Future_jobs_are_scheduled_and_not_claimed_until_due()
    {
        var id = await InsertAsync(Row(runAt: T0.AddMinutes(5)));
        Assert.Equal(JobState.Scheduled, (await GetAsync(id)).State);
        Assert.Empty(await ClaimAsync(now: T0.AddMinutes(4)));
        var claimed = await ClaimAsync(now: T0.AddMinutes(5));
        Assert.Equal(id, Assert.Single(claimed).Id);
    }

    [StoreFact]
    public async Task Claim_orders_by_priority_then_run_at_then_id_and_respects_max_and_queues()
    {
        var low = await InsertAsync(Row(priority: 0, runAt: T0.AddSeconds(-10)));
        var highLate = await InsertAsync(Row(priority: 5, runAt: T0.AddSeconds(-1)));
        var highEarly = await InsertAsync(Row(priority: 5, runAt: T0.AddSeconds(-5)));
        var otherQueue = await InsertAsync(Row(queue: "other", priority: 100));
        var lowSecond = await InsertAsync(Row(priority: 0, runAt: T0.AddSeconds(-10)));

        Assert.Equal(highEarly, Assert.Single(await ClaimAsync(max: 1)).Id);
        Assert.Equal(highLate, Assert.Single(await ClaimAsync(max: 1)).Id);
        var second = await ClaimAsync(max: 10);
        Assert.Equal([low, lowSecond], second.Select(j => j.Id).OrderBy(i => i).ToArray());
        Assert.Empty(await ClaimAsync(max: 10));
        var other = await ClaimAsync(10, "w1", null, "other", "default");
        Assert.Equal(otherQueue, Assert.Single(other).Id);
    }

    [StoreFact]
    public async Task Claim_marks_running_with_attempt_worker_and_lease()
    {
        var id = await InsertAsync(Row(maxAttempts: 4));
        var claimed = Assert.Single(await ClaimAsync(worker: "worker-a"));
        Assert.Equal(1, claimed.Attempt);
        Assert.Equal(4, claimed.MaxAttempts);
        Assert.Equal("test.kind", claimed.Kind);
        var job = await GetAsync(id);
        Assert.Equal(JobState.Running, job.State);
        Assert.Equal("worker-a", job.WorkerId);
        Assert.Equal(T0, job.StartedAt);
        Assert.Equal(T0.AddSeconds(30), job.LeaseUntil);
    }

    [StoreFact]
    public async Task Concurrent_claims_never_hand_one_job_to_two_workers()
    {
        var rows = Enumerable.Range(0, 600).Select(_ => Row()).ToList();
        await Store.JobInsertManyAsync(new JobInsertManyParams(rows, T0), default);
        var seen = new ConcurrentBag<long>();
        var workers = Enumerable.Range(0, 6).Select(w => Task.Run(async () =>
        {
            while (true)
            {
                var jobs = await ClaimAsync(max: 7, worker: $"w{w}");
                if (jobs.Count == 0)
                    return;
                foreach (var job in jobs)
                    seen.Add(job.Id);
            }
        }));
        await Task.WhenAll(workers);
        Assert.Equal(600, seen.Count);
        Assert.Equal(600, seen.Distinct().Count());
    }

    [StoreFact]
    public async Task Finish_completed_stores_result_and_final_progress()
    {
        var id = await InsertAsync(Row());
        var claimed = Assert.Single(await ClaimAsync(worker: "w1"));
        var applied = await Store.JobFinishManyAsync(new JobFinishManyParams([
            new JobFinish(id, claimed.Attempt, "w1", JobState.Completed, T0.AddSeconds(2), Result: """{"ok":true}""", Progress: new JobProgress(100, "done", 10, 10)),
        ]), default);
        Assert.Equal([id], applied);
        var job = await GetAsync(id);
        Assert.Equal(JobState.Completed, job.State);
        Assert.True(job.Result!.Value.GetProperty("ok").GetBoolean());
        Assert.Equal(T0.AddSeconds(2), job.FinishedAt);
        Assert.Equal(new JobProgress(100, "done", 10, 10), job.Progress);
        Assert.Null(job.LeaseUntil);
    }

    [StoreFact]
    public async Task Finish_is_fenced_by_attempt_and_worker()
    {
        var id = await InsertAsync(Row());
        var claimed = Assert.Single(await ClaimAsync(worker: "w1"));
        var rejected = await Store.JobFinishManyAsync(new JobFinishManyParams([
            new JobFinish(id, claimed.Attempt, "someone-else", JobState.Completed, T0),
            new JobFinish(id, claimed.Attempt + 1, "w1", JobState.Completed, T0),
        ]), default);
        Assert.Empty(rejected);
        Assert.Equal(JobState.Running, (await GetAsync(id)).State);
    }

    [StoreFact]
    public async Task Many_outcomes_apply_in_one_call()
    {
        var rows = Enumerable.Range(0, 300).Select(_ => Row()).ToList();
        await Store.JobInsertManyAsync(new JobInsertManyParams(rows, T0), default);
        var claimed = await ClaimAsync(max: 300);
        var finishes = claimed.Select((j, i) => i % 2 == 0
            ? new JobFinish(j.Id, j.Attempt, "w1", JobState.Completed, T0, Result: "1")
            : new JobFinish(j.Id, j.Attempt, "w1", JobState.Failed, T0, Error: new JobError(T0, 1, "E", "boom"))).ToList();
        var applied = await Store.JobFinishManyAsync(new JobFinishManyParams(finishes), default);
        Assert.Equal(300, applied.Count);
        var stats = Assert.Single(await Store.QueueStatsAsync(new QueueStatsParams(T0), default));
        Assert.Equal(150, stats.Count(JobState.Completed));
        Assert.Equal(150, stats.Count(JobState.Failed));
    }

    [StoreFact]
    public async Task Retry_outcome_schedules_with_error_history_and_next_claim_is_attempt_two()
    {
        var id = await InsertAsync(Row(maxAttempts: 3));
        var first = Assert.Single(await ClaimAsync());
        await Store.JobFinishManyAsync(new JobFinishManyParams([
            new JobFinish(id, 1, "w1", JobState.Scheduled, T0, Error: new JobError(T0, 1, "System.Exception", "first", "at X"), RunAt: T0.AddSeconds(10)),
        ]), default);
        var job = await GetAsync(id);
        Assert.Equal(JobState.Scheduled, job.State);
        Assert.Equal(T0.AddSeconds(10), job.RunAt);
        Assert.Null(job.WorkerId);
        var error = Assert.Single(job.Errors);
        Assert.Equal(("System.Exception", "first", "at X", 1), (error.Type, error.Message, error.Stack, error.Attempt));

        Assert.Empty(await ClaimAsync(now: T0.AddSeconds(9)));
        var second = Assert.Single(await ClaimAsync(now: T0.AddSeconds(10)));
        Assert.Equal(2, second.Attempt);
        await Store.JobFinishManyAsync(new JobFinishManyParams([
            new JobFinish(id, 2, "w1", JobState.Failed, T0.AddSeconds(11), Error: new JobError(T0.AddSeconds(11), 2, "System.Exception", "second")),
        ]), default);
        job = await GetAsync(id);
        Assert.Equal(JobState.Failed, job.State);
        Assert.Equal(["first", "second"], job.Errors.Select(e => e.Message).ToArray());
        Assert.Equal(first.Id, id);
    }

    [StoreFact]
    public async Task Refunded_outcomes_do_not_charge_an_attempt()
    {
        var id = await InsertAsync(Row());
        Assert.Single(await ClaimAsync());
        await Store.JobFinishManyAsync(new JobFinishManyParams([new JobFinish(id, 1, "w1", JobState.Queued, T0, RunAt: T0, RefundAttempt: true)]), default);
        var job = await GetAsync(id);
        Assert.Equal(JobState.Queued, job.State);
        Assert.Equal(0, job.Attempt);
        Assert.Equal(1, Assert.Single(await ClaimAsync()).Attempt);
    }

    [StoreFact]
    public async Task Heartbeat_extends_held_leases_and_reports_lost_and_cancelled_jobs()
    {
        var a = await InsertAsync(Row());
        var b = await InsertAsync(Row());
        var c = await InsertAsync(Row());
        await ClaimAsync(max: 3, worker: "w1");
        await Store.JobCancelAsync(new JobCancelParams(b, T0), default);
        await Store.JobFinishManyAsync(new JobFinishManyParams([new JobFinish(c, 1, "w1", JobState.Completed, T0)]), default);

        var result = await Store.JobHeartbeatAsync(new JobHeartbeatParams("w1", [new JobLease(a, 1), new JobLease(b, 1), new JobLease(c, 1)], T0.AddMinutes(1)), default);
        Assert.Equal([b], result.CancelRequested);
        Assert.Equal([c], result.Lost);
        Assert.Equal(T0.AddMinutes(1), (await GetAsync(a)).LeaseUntil);

        var wrongWorker = await Store.JobHeartbeatAsync(new JobHeartbeatParams("w2", [new JobLease(a, 1)], T0.AddMinutes(2)), default);
        Assert.Equal([a], wrongWorker.Lost);
        Assert.Equal(T0.AddMinutes(1), (await GetAsync(a)).LeaseUntil);
    }

    [StoreFact]
    public async Task Progress_is_written_only_while_the_attempt_holds_the_job()
    {
        var id = await InsertAsync(Row());
        Assert.Single(await ClaimAsync());
        Assert.True(await Store.JobProgressAsync(new JobProgressParams(id, 1, "w1", new JobProgress(40, "resizing", 4, 10)), default));
        Assert.Equal(new JobProgress(40, "resizing", 4, 10), (await GetAsync(id)).Progress);
        Assert.False(await Store.JobProgressAsync(new JobProgressParams(id, 1, "w2", new JobProgress(90)), default));
        Assert.Equal(40, (await GetAsync(id)).Progress!.Percent);
    }

    [StoreFact]
    public async Task Cancel_waiting_is_immediate_running_is_requested_finished_is_unchanged()
    {
        var waiting = await InsertAsync(Row());
        var scheduled = await InsertAsync(Row(runAt: T0.AddHours(1)));
        Assert.Equal(JobCancelOutcome.Cancelled, (await Store.JobCancelAsync(new JobCancelParams(waiting, T0), default)).Outcome);
        Assert.Equal(JobCancelOutcome.Cancelled, (await Store.JobCancelAsync(new JobCancelParams(scheduled, T0), default)).Outcome);
        var cancelled = await GetAsync(waiting);
        Assert.Equal(JobState.Cancelled, cancelled.State);
        Assert.Equal(T0, cancelled.FinishedAt);
        Assert.Empty(await ClaimAsync(now: T0.AddHours(2)));

        var running = await InsertAsync(Row());
        Assert.Single(await ClaimAsync());
        var requested = await Store.JobCancelAsync(new JobCancelParams(running, T0), default);
        Assert.Equal(JobCancelOutcome.CancelRequested, requested.Outcome);
        Assert.Equal(JobState.Running, (await GetAsync(running)).State);
        Assert.NotNull((await GetAsync(running)).CancelRequestedAt);

        // A job asked to cancel whose attempt fails ends cancelled, not retried.
        await Store.JobFinishManyAsync(new JobFinishManyParams([
            new JobFinish(running, 1, "w1", JobState.Scheduled, T0, Error: new JobError(T0, 1, "E", "stopped"), RunAt: T0.AddSeconds(5)),
        ]), default);
        Assert.Equal(JobState.Cancelled, (await GetAsync(running)).State);

        Assert.Equal(JobCancelOutcome.AlreadyFinished, (await Store.JobCancelAsync(new JobCancelParams(running, T0), default)).Outcome);
        Assert.Equal(JobCancelOutcome.NotFound, (await Store.JobCancelAsync(new JobCancelParams(123456789, T0), default)).Outcome);
    }

    [StoreFact]
    public async Task Retry_requeues_failed_and_cancelled_jobs_only()
    {
        var id = await InsertAsync(Row(maxAttempts: 1));
        Assert.Single(await ClaimAsync());
        await Store.JobFinishManyAsync(new JobFinishManyParams([new JobFinish(id, 1, "w1", JobState.Failed, T0, Error: new JobError(T0, 1, "E", "x"))]), default);

        var retried = await Store.JobRetryAsync(new JobRetryParams(id, T0.AddMinutes(1)), default);
        Assert.Equal(JobRetryOutcome.Retried, retried.Outcome);
        var job = await GetAsync(id);
        Assert.Equal(JobState.Queued, job.State);
        Assert.Equal(2, job.MaxAttempts);
        Assert.Null(job.FinishedAt);
        Assert.Single(job.Errors);
        Assert.Equal(2, Assert.Single(await ClaimAsync(now: T0.AddMinutes(1))).Attempt);

        Assert.Equal(JobRetryOutcome.NotRetryable, (await Store.JobRetryAsync(new JobRetryParams(id, T0), default)).Outcome);
        Assert.Equal(JobRetryOutcome.NotFound, (await Store.JobRetryAsync(new JobRetryParams(55555555, T0), default)).Outcome);
    }

    [StoreFact]
    public async Task Expired_leases_are_listed_for_the_rescuer()
    {
        var a = await InsertAsync(Row());
        var b = await InsertAsync(Row());
        await ClaimAsync(max: 1, worker: "dead", now: T0);
        await ClaimAsync(max: 1, worker: "alive", now: T0.AddSeconds(20));
        var expired = await Store.JobListExpiredAsync(new JobExpiredParams(T0.AddSeconds(31), 100), default);
        var job = Assert.Single(expired);
        Assert.Equal((a, 1, "dead", "test.kind"), (job.Id, job.Attempt, job.WorkerId, job.Kind));
        Assert.NotEqual(a, b);
    }

    [StoreFact]
    public async Task Due_scheduled_jobs_are_promoted_to_queued()
    {
        var due = await InsertAsync(Row(runAt: T0.AddSeconds(5)));
        var later = await InsertAsync(Row(runAt: T0.AddHours(5)));
        Assert.Equal(1, await Store.JobPromoteScheduledAsync(new JobPromoteParams(T0.AddSeconds(6), 100), default));
        Assert.Equal(JobState.Queued, (await GetAsync(due)).State);
        Assert.Equal(JobState.Scheduled, (await GetAsync(later)).State);
    }

    [StoreFact]
    public async Task Prune_deletes_only_old_finished_jobs_in_batches()
    {
        var rows = Enumerable.Range(0, 5).Select(_ => Row()).ToList();
        var ids = (await Store.JobInsertManyAsync(new JobInsertManyParams(rows, T0), default)).Select(r => r.Id).ToList();
        await ClaimAsync(max: 5);
        await Store.JobFinishManyAsync(new JobFinishManyParams([
            new JobFinish(ids[0], 1, "w1", JobState.Completed, T0),
            new JobFinish(ids[1], 1, "w1", JobState.Completed, T0),
            new JobFinish(ids[2], 1, "w1", JobState.Completed, T0.AddDays(6)),
            new JobFinish(ids[3], 1, "w1", JobState.Failed, T0),
        ]), default);
        var prune = new JobPruneParams(CompletedBefore: T0.AddDays(1), FailedBefore: T0.AddHours(-1), BatchSize: 1);
        Assert.Equal(1, await Store.JobPruneAsync(prune, default));
        Assert.Equal(1, await Store.JobPruneAsync(prune, default));
        Assert.Equal(0, await Store.JobPruneAsync(prune, default));
        Assert.Null(await Store.JobGetAsync(ids[0], default));
        Assert.Null(await Store.JobGetAsync(ids[1], default));
        Assert.NotNull(await Store.JobGetAsync(ids[2], default));
        Assert.NotNull(await Store.JobGetAsync(ids[3], default));
        Assert.NotNull(await Store.JobGetAsync(ids[4], default));
    }

    [StoreFact]
    public async Task Unique_key_returns_the_live_holder_until_it_finishes()
    {
        var first = await Store.JobInsertManyAsync(new JobInsertManyParams([Row(uniqueKey: "report-42")], T0), default);
        var again = await Store.JobInsertManyAsync(new JobInsertManyParams([Row(uniqueKey: "report-42"), Row(uniqueKey: "report-43")], T0), default);
        Assert.False(first[0].Duplicate);
        Assert.True(again[0].Duplicate);
        Assert.Equal(first[0].Id, again[0].Id);
        Assert.False(again[1].Duplicate);

        Assert.Equal(2, (await ClaimAsync()).Count);
        await Store.JobFinishManyAsync(new JobFinishManyParams([new JobFinish(first[0].Id, 1, "w1", JobState.Completed, T0)]), default);
        var afterFinish = await Store.JobInsertManyAsync(new JobInsertManyParams([Row(uniqueKey: "report-42")], T0), default);
        Assert.False(afterFinish[0].Duplicate);
        Assert.NotEqual(first[0].Id, afterFinish[0].Id);
    }

    [StoreFact]
    public async Task Queue_stats_count_states_and_age_of_oldest_ready_job()
    {
        await InsertAsync(Row(queue: "a", runAt: T0.AddSeconds(-30)));
        await InsertAsync(Row(queue: "a", runAt: T0.AddSeconds(-5)));
        await InsertAsync(Row(queue: "a", runAt: T0.AddHours(1)));
        await InsertAsync(Row(queue: "b"));
        await ClaimAsync(1, "w1", null, "b");
        var stats = (await Store.QueueStatsAsync(new QueueStatsParams(T0), default)).ToDictionary(s => s.Queue);
        Assert.Equal(2, stats["a"].Count(JobState.Queued));
        Assert.Equal(1, stats["a"].Count(JobState.Scheduled));
        Assert.Equal(TimeSpan.FromSeconds(30), stats["a"].OldestWaitingAge);
        Assert.Equal(1, stats["b"].Count(JobState.Running));
        Assert.Null(stats["b"].OldestWaitingAge);
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
    public async Task Transactional_insert_exists_only_if_the_application_commits()
    {
        long rolledBack;
        await using (var tx = await BeginApplicationTransactionAsync())
        {
            rolledBack = (await Store.JobInsertManyAsync(new JobInsertManyParams([Row(kind: "tx.rollback")], T0, tx), default))[0].Id;
            await tx.RollbackAsync();
        }
        Assert.Null(await Store.JobGetAsync(rolledBack, default));

        long committed;
        await using (var tx = await BeginApplicationTransactionAsync())
        {
            committed = (await Store.JobInsertManyAsync(new JobInsertManyParams([Row(kind: "tx.commit")], T0, tx), default))[0].Id;
            await tx.CommitAsync();
        }
        Assert.Equal("tx.commit", (await GetAsync(committed)).Kind);
    }

    [StoreFact]
    public async Task Args_and_results_keep_unicode_and_nesting()
    {
        const string args = """{"name":"Zoë ✓ 日本","nested":{"list":[1,2.5,null,true],"quote":"a\"b"}}""";
        var id = await InsertAsync(Row(args: args));
        var claimed = Assert.Single(await ClaimAsync());
        Assert.Equal(JsonSerializer.Serialize(JsonDocument.Parse(args).RootElement), JsonSerializer.Serialize(JsonDocument.Parse(claimed.Args).RootElement));
        await Store.JobFinishManyAsync(new JobFinishManyParams([new JobFinish(id, 1, "w1", JobState.Completed, T0, Result: args)]), default);
        Assert.Equal("Zoë ✓ 日本", (await GetAsync(id)).Result!.Value.GetProperty("name").GetString());
    }

    [StoreFact]
    public async Task Workers_register_refresh_list_remove_and_age_out()
    {
        await Store.WorkerUpsertAsync(new WorkerRecord("w-a", "host1", 101, ["default", "mail"], 8, T0, T0, 0), default);
        await Store.WorkerUpsertAsync(new WorkerRecord("w-b", "host2", 202, ["default"], 4, T0, T0, 0), default);
        await Store.WorkerUpsertAsync(new WorkerRecord("w-a", "host1", 101, ["default", "mail"], 8, T0, T0.AddMinutes(5), 3), default);
        var workers = (await Store.WorkerListAsync(default)).ToDictionary(w => w.Id);
        Assert.Equal(2, workers.Count);
        Assert.Equal((T0.AddMinutes(5), 3, T0), (workers["w-a"].LastSeenAt, workers["w-a"].Running, workers["w-a"].StartedAt));
        Assert.Equal(["default", "mail"], workers["w-a"].Queues);
        Assert.Equal(("host2", 202, 4), (workers["w-b"].Host, workers["w-b"].Pid, workers["w-b"].Concurrency));

        Assert.Equal(1, await Store.WorkerPruneAsync(T0.AddMinutes(1), default));
        Assert.Equal("w-a", Assert.Single(await Store.WorkerListAsync(default)).Id);
        await Store.WorkerRemoveAsync("w-a", default);
        Assert.Empty(await Store.WorkerListAsync(default));
    }
}
