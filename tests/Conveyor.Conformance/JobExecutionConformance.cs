using System.Collections.Concurrent;
using System.Text.Json;
using Conveyor.Storage;
using Xunit;

namespace Conveyor.Conformance;

/// <summary>The hot path (<see cref="IJobExecutionStore"/>): insert, claim, heartbeat, progress, outcomes.</summary>
public abstract class JobExecutionConformance<TFactory> : StoreConformance<TFactory> where TFactory : IStoreFactory, new()
{
    [StoreFact]
    public async Task Insert_stores_every_field_and_get_reads_it_back()
    {
        var id = await InsertAsync(new JobInsertRow("email.send", "mail", """{"to":"a@b.c","n":[1,2]}""", 5, 7, T0, "uk-1", "ck", "batch-1", ["x", "y"], TimeSpan.FromSeconds(90)));
        var job = await GetAsync(id);
        Assert.Equal(("email.send", "mail", JobState.Queued, 5, 0, 7), (job.Kind, job.Queue, job.State, job.Priority, job.Attempt, job.MaxAttempts));
        Assert.Equal("a@b.c", job.Args.GetProperty("to").GetString());
        Assert.Equal((T0, T0), (job.RunAt, job.CreatedAt));
        Assert.Equal(("uk-1", "ck", "batch-1"), (job.UniqueKey, job.ConcurrencyKey, job.BatchId));
        Assert.Equal(["x", "y"], job.Tags);
        Assert.Equal(TimeSpan.FromSeconds(90), job.Timeout);
        Assert.Empty(job.Errors);
        Assert.Null(job.Result);
        Assert.Null(job.StartedAt);
        Assert.Null(job.Progress);
    }

    [StoreFact]
    public async Task Insert_many_returns_ids_in_request_order()
    {
        var rows = Enumerable.Range(0, 500).Select(i => Row(args: $$"""{"i":{{i}}}""")).ToList();
        var results = await Store.JobInsertManyAsync(new JobInsertManyParams(rows, T0), default);
        Assert.Equal(500, results.Count);
        Assert.All(results, r => Assert.False(r.Duplicate));
        Assert.Equal(500, results.Select(r => r.Id).Distinct().Count());
        Assert.Equal(321, (await GetAsync(results[321].Id)).Args.GetProperty("i").GetInt32());
    }

    [StoreFact]
    public async Task A_delay_counts_from_the_stores_now_and_schedules_the_job()
    {
        var id = await InsertAsync(new JobInsertRow("k", "default", "{}", 0, 3, Delay: TimeSpan.FromSeconds(10)), T0);
        var job = await GetAsync(id);
        Assert.Equal((JobState.Scheduled, T0.AddSeconds(10), T0), (job.State, job.RunAt, job.CreatedAt));
        Assert.Empty(await ClaimAsync(now: T0.AddSeconds(9)));
        Assert.Equal(id, Assert.Single(await ClaimAsync(now: T0.AddSeconds(10))).Id);
    }

    [StoreFact]
    public async Task A_job_without_delay_or_run_at_is_queued_at_the_stores_now()
    {
        var now = T0.AddTicks(9_990); // 999 microseconds: not a whole millisecond
        var id = await InsertAsync(new JobInsertRow("k", "default", "{}", 0, 3), now);
        var job = await GetAsync(id);
        Assert.Equal((JobState.Queued, now, now), (job.State, job.RunAt, job.CreatedAt));
        Assert.Single(await ClaimAsync(now: now));
        await ApplyAsync(now, AttemptOutcome.HandedBack(L(id), "w1"));
        Assert.Equal((JobState.Queued, now), ((await GetAsync(id)).State, (await GetAsync(id)).RunAt));
    }

    [StoreFact]
    public async Task A_claim_with_kinds_takes_only_those_and_passes_over_the_rest_without_charging_them()
    {
        var unknown = await InsertAsync(Row(kind: "typo.kind", priority: 9));
        var known = await InsertAsync(Row(kind: "test.kind", priority: 0));
        var other = await InsertAsync(Row(kind: "other.kind", priority: 5));

        var claimed = await Store.JobClaimAsync(new JobClaimParams("w1", ["default"], 10, Lease, T0, Kinds: ["test.kind", "other.kind"]), default);
        Assert.Equal([known, other], claimed.Select(j => j.Id).Order());   // the unknown one, first by priority, is passed over
        var waiting = await GetAsync(unknown);
        Assert.Equal((JobState.Queued, 0), (waiting.State, waiting.Attempt));
        Assert.Empty(await Store.JobClaimAsync(new JobClaimParams("w1", ["default"], 10, Lease, T0, Kinds: ["test.kind"]), default));
        // No kinds: any kind (a worker that runs whatever it is given, e.g. one that reports failures itself).
        Assert.Equal(unknown, Assert.Single(await ClaimAsync()).Id);
    }

    [StoreFact]
    public async Task Future_jobs_are_scheduled_and_not_claimed_until_due()
    {
        var id = await InsertAsync(Row(runAt: T0.AddMinutes(5)));
        Assert.Equal(JobState.Scheduled, (await GetAsync(id)).State);
        Assert.Empty(await ClaimAsync(now: T0.AddMinutes(4)));
        Assert.Equal(id, Assert.Single(await ClaimAsync(now: T0.AddMinutes(5))).Id);
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
        Assert.Equal([low, lowSecond], (await ClaimAsync(max: 10)).Select(j => j.Id).OrderBy(i => i).ToArray());
        Assert.Empty(await ClaimAsync(max: 10));
        Assert.Equal(otherQueue, Assert.Single(await ClaimAsync(10, "w1", null, "other", "default")).Id);
    }

    [StoreFact]
    public async Task Claim_marks_running_with_attempt_worker_and_a_lease_from_the_stores_now()
    {
        var id = await InsertAsync(Row(maxAttempts: 4));
        var claimed = Assert.Single(await ClaimAsync(worker: "worker-a"));
        Assert.Equal((1, 4, "test.kind"), (claimed.Attempt, claimed.MaxAttempts, claimed.Kind));
        var job = await GetAsync(id);
        Assert.Equal((JobState.Running, "worker-a", T0, T0 + Lease), (job.State, job.WorkerId, job.StartedAt, job.LeaseUntil));
    }

    [StoreFact]
    public async Task Concurrent_claims_never_hand_one_job_to_two_workers()
    {
        await InsertManyAsync(600);
        var seen = new ConcurrentBag<long>();
        await Task.WhenAll(Enumerable.Range(0, 6).Select(w => Task.Run(async () =>
        {
            while (await ClaimAsync(max: 7, worker: $"w{w}") is { Count: > 0 } jobs)
            {
                foreach (var job in jobs)
                    seen.Add(job.Id);
            }
        })));
        Assert.Equal(600, seen.Count);
        Assert.Equal(600, seen.Distinct().Count());
    }

    [StoreFact]
    public async Task Completed_outcome_stores_result_final_progress_and_finish_time()
    {
        var id = await InsertAsync(Row());
        Assert.Single(await ClaimAsync(worker: "w1"));
        var applied = await Store.JobApplyOutcomesAsync(new JobApplyOutcomesParams(
            [AttemptOutcome.Completed(L(id), "w1", """{"ok":true}""") with { Progress = new JobProgress(100, "done", 10, 10) }], T0.AddSeconds(2)), default);
        Assert.Equal(new AppliedOutcome(id, "default", JobState.Completed), Assert.Single(applied));
        var job = await GetAsync(id);
        Assert.Equal((JobState.Completed, T0.AddSeconds(2), (DateTimeOffset?)null), (job.State, job.FinishedAt, job.LeaseUntil));
        Assert.True(job.Result!.Value.GetProperty("ok").GetBoolean());
        Assert.Equal(new JobProgress(100, "done", 10, 10), job.Progress);
    }

    [StoreFact]
    public async Task Outcomes_are_fenced_by_attempt_and_worker()
    {
        var id = await InsertAsync(Row());
        Assert.Single(await ClaimAsync(worker: "w1"));
        Assert.Empty(await ApplyAsync(T0, AttemptOutcome.Completed(L(id), "someone-else", null), AttemptOutcome.Completed(L(id, 2), "w1", null)));
        Assert.Equal(JobState.Running, (await GetAsync(id)).State);
    }

    [StoreFact]
    public async Task Many_outcomes_apply_in_one_call()
    {
        await InsertManyAsync(300);
        var claimed = await ClaimAsync(max: 300);
        var outcomes = claimed.Select((j, i) => i % 2 == 0 ? AttemptOutcome.Completed(j.Lease, "w1", "1") : AttemptOutcome.Failed(j.Lease, "w1", E("boom"))).ToArray();
        Assert.Equal(300, (await ApplyAsync(T0, outcomes)).Count);
        var stats = Assert.Single(await Store.QueueStatsAsync(new QueueStatsParams(T0), default));
        Assert.Equal((150, 150), (stats.Count(JobState.Completed), stats.Count(JobState.Failed)));
    }

    [StoreFact]
    public async Task Retried_outcome_schedules_after_its_delay_with_error_history_and_next_claim_is_attempt_two()
    {
        var id = await InsertAsync(Row(maxAttempts: 3));
        Assert.Single(await ClaimAsync());
        await ApplyAsync(T0, AttemptOutcome.Retried(L(id), "w1", new JobError(T0, 1, "System.Exception", "first", "at X"), TimeSpan.FromSeconds(10)));
        var job = await GetAsync(id);
        Assert.Equal((JobState.Scheduled, T0.AddSeconds(10), (string?)null), (job.State, job.RunAt, job.WorkerId));
        var error = Assert.Single(job.Errors);
        Assert.Equal(("System.Exception", "first", "at X", 1), (error.Type, error.Message, error.Stack, error.Attempt));

        Assert.Empty(await ClaimAsync(now: T0.AddSeconds(9)));
        Assert.Equal(2, Assert.Single(await ClaimAsync(now: T0.AddSeconds(10))).Attempt);
        await ApplyAsync(T0.AddSeconds(11), AttemptOutcome.Failed(L(id, 2), "w1", E("second", 2)));
        job = await GetAsync(id);
        Assert.Equal(JobState.Failed, job.State);
        Assert.Equal(["first", "second"], job.Errors.Select(e => e.Message).ToArray());
    }

    [StoreFact]
    public async Task Handed_back_and_snoozed_outcomes_do_not_charge_an_attempt()
    {
        var id = await InsertAsync(Row());
        Assert.Single(await ClaimAsync());
        await ApplyAsync(T0, AttemptOutcome.HandedBack(L(id), "w1"));
        var job = await GetAsync(id);
        Assert.Equal((JobState.Queued, 0, T0), (job.State, job.Attempt, job.RunAt));
        Assert.Equal(1, Assert.Single(await ClaimAsync()).Attempt);
        await ApplyAsync(T0, AttemptOutcome.Snoozed(L(id), "w1", TimeSpan.FromMinutes(1)));
        job = await GetAsync(id);
        Assert.Equal((JobState.Scheduled, 0, T0.AddMinutes(1)), (job.State, job.Attempt, job.RunAt));
    }

    [StoreFact]
    public async Task Heartbeat_extends_held_leases_and_reports_lost_and_cancelled_attempts()
    {
        var a = await InsertAsync(Row());
        var b = await InsertAsync(Row());
        var c = await InsertAsync(Row());
        await ClaimAsync(max: 3, worker: "w1");
        await Store.JobCancelAsync(new JobCancelParams(b, T0), default);
        await ApplyAsync(T0, AttemptOutcome.Completed(L(c), "w1", null));

        var result = await Store.JobHeartbeatAsync(new JobHeartbeatParams("w1", [L(a), L(b), L(c)], TimeSpan.FromMinutes(1), T0), default);
        Assert.Equal([L(b)], result.CancelRequested);
        Assert.Equal([L(c)], result.Lost);
        Assert.Equal(T0.AddMinutes(1), (await GetAsync(a)).LeaseUntil);

        var wrongWorker = await Store.JobHeartbeatAsync(new JobHeartbeatParams("w2", [L(a)], TimeSpan.FromMinutes(2), T0), default);
        Assert.Equal([L(a)], wrongWorker.Lost);
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
    public async Task Progress_with_only_a_total_is_read_back()
    {
        var id = await InsertAsync(Row());
        Assert.Single(await ClaimAsync());
        Assert.True(await Store.JobProgressAsync(new JobProgressParams(id, 1, "w1", new JobProgress(null, null, null, 250)), default));
        Assert.Equal(new JobProgress(null, null, null, 250), (await GetAsync(id)).Progress);
    }

    [StoreFact]
    public async Task Unique_key_returns_the_live_holder_until_it_finishes()
    {
        var first = await Store.JobInsertManyAsync(new JobInsertManyParams([Row(uniqueKey: "report-42")], T0), default);
        var again = await Store.JobInsertManyAsync(new JobInsertManyParams([Row(uniqueKey: "report-42"), Row(uniqueKey: "report-43"), Row(uniqueKey: "report-43")], T0), default);
        Assert.False(first[0].Duplicate);
        Assert.Equal(new JobInsertResult(first[0].Id, true), again[0]);
        Assert.False(again[1].Duplicate);
        Assert.Equal(new JobInsertResult(again[1].Id, true), again[2]);

        Assert.Equal(2, (await ClaimAsync()).Count);
        await ApplyAsync(T0, AttemptOutcome.Completed(L(first[0].Id), "w1", null));
        var afterFinish = await Store.JobInsertManyAsync(new JobInsertManyParams([Row(uniqueKey: "report-42")], T0), default);
        Assert.False(afterFinish[0].Duplicate);
        Assert.NotEqual(first[0].Id, afterFinish[0].Id);
    }

    [StoreFact]
    public async Task Transactional_insert_exists_only_if_the_application_commits()
    {
        long rolledBack;
        await using (var tx = await Factory.BeginApplicationTransactionAsync())
        {
            rolledBack = (await Store.JobInsertManyAsync(new JobInsertManyParams([Row(kind: "tx.rollback")], T0, tx), default))[0].Id;
            await tx.RollbackAsync();
        }
        Assert.Null(await Store.JobGetAsync(rolledBack, default));

        long committed;
        await using (var tx = await Factory.BeginApplicationTransactionAsync())
        {
            committed = (await Store.JobInsertManyAsync(new JobInsertManyParams([Row(kind: "tx.commit")], T0, tx), default))[0].Id;
            await tx.CommitAsync();
        }
        Assert.Equal("tx.commit", (await GetAsync(committed)).Kind);
    }

    // Many plain jobs (ready now, no unique key, no dependencies) take a store's bulk path (PostgreSQL: binary COPY);
    // every field, the order of ids and claims, the kept counts and the application's transaction hold as for one job.
    private static List<JobInsertRow> PlainRows(int count, string kind = "bulk.plain") =>
    [
        .. Enumerable.Range(0, count).Select(i => new JobInsertRow(kind, "bulk", $$"""{"n":{{i}}}""", i % 3, 5,
            ConcurrencyKey: i % 4 == 0 ? $"key-{i}" : null, BatchId: i % 5 == 0 ? "bulk-batch" : null,
            Tags: i % 2 == 0 ? ["even", $"n{i}"] : null, Timeout: i % 6 == 0 ? TimeSpan.FromSeconds(i + 1) : null,
            Weight: i % 7 == 0 ? 2.5 : null, TraceParent: i % 8 == 0 ? $"00-{i:x32}-{i + 1:x16}-01" : null)),
    ];

    [StoreFact]
    public async Task Many_plain_jobs_insert_in_request_order_with_every_field()
    {
        var rows = PlainRows(150);
        var results = await Store.JobInsertManyAsync(new JobInsertManyParams(rows, T0), default);
        Assert.Equal(rows.Count, results.Count);
        Assert.All(results, r => Assert.False(r.Duplicate));
        Assert.Equal([.. results.Select(r => r.Id).Order()], results.Select(r => r.Id));
        Assert.Equal(rows.Count, results.Select(r => r.Id).Distinct().Count());
        for (var i = 0; i < rows.Count; i++)
        {
            var (row, job) = (rows[i], await GetAsync(results[i].Id));
            Assert.Equal((JobState.Queued, row.Kind, row.Queue, i), (job.State, job.Kind, job.Queue, job.Args.GetProperty("n").GetInt32()));
            Assert.Equal((row.Priority, row.MaxAttempts, 0, T0, T0), (job.Priority, job.MaxAttempts, job.Attempt, job.RunAt, job.CreatedAt));
            Assert.Equal((row.ConcurrencyKey, row.BatchId, row.Timeout, row.TraceParent, row.Weight ?? 1), (job.ConcurrencyKey, job.BatchId, job.Timeout, job.TraceParent, job.Weight));
            Assert.Equal(row.Tags ?? [], job.Tags);
        }
        Assert.Equal(rows.Count, Assert.Single(await Store.QueueStatsAsync(new QueueStatsParams(T0), default)).Count(JobState.Queued));
        // Claimed by priority, then in request order within a priority.
        var claimed = await Store.JobClaimAsync(new JobClaimParams("w1", ["bulk"], rows.Count, Lease, T0), default);
        var expected = results.Select((r, i) => (r.Id, rows[i].Priority)).OrderByDescending(x => x.Priority).ThenBy(x => x.Id).Select(x => x.Id);
        Assert.Equal(expected, claimed.Select(c => c.Id));
    }

    [StoreFact]
    public async Task Many_plain_jobs_in_a_rolled_back_transaction_leave_nothing()
    {
        IReadOnlyList<JobInsertResult> rolledBack;
        await using (var tx = await Factory.BeginApplicationTransactionAsync())
        {
            rolledBack = await Store.JobInsertManyAsync(new JobInsertManyParams(PlainRows(100, "tx.rollback"), T0, tx), default);
            await tx.RollbackAsync();
        }
        foreach (var result in rolledBack)
            Assert.Null(await Store.JobGetAsync(result.Id, default));
        Assert.Empty(await ClaimAsync(queues: "bulk"));

        await using (var tx = await Factory.BeginApplicationTransactionAsync())
        {
            await Store.JobInsertManyAsync(new JobInsertManyParams(PlainRows(100, "tx.commit"), T0, tx), default);
            await tx.CommitAsync();
        }
        Assert.Equal(100, (await ClaimAsync(max: 200, queues: "bulk")).Count);
    }

    // A worker's heartbeat and its completer touch the same running jobs at the same time, many rows each. Both must take
    // their row locks in one order: otherwise each waits on the other until the database breaks the deadlock (after a
    // second, failing one of the two: an outcome batch lost, or leases not extended).
    [StoreFact]
    public async Task Heartbeats_and_outcomes_on_the_same_jobs_at_once_never_deadlock()
    {
        for (var round = 0; round < 8; round++)
        {
            await InsertManyAsync(400, "race");
            var claimed = await Store.JobClaimAsync(new JobClaimParams("w1", ["race"], 400, Lease, T0), default);
            Assert.Equal(400, claimed.Count);
            var heartbeat = Store.JobHeartbeatAsync(new JobHeartbeatParams("w1", [.. claimed.Select(c => c.Lease).Reverse()], Lease, T0), default);
            var outcomes = Store.JobApplyOutcomesAsync(new JobApplyOutcomesParams([.. claimed.Select(c => AttemptOutcome.Completed(c.Lease, "w1", null))], T0), default);
            await Task.WhenAll(heartbeat, outcomes);
            Assert.Equal(claimed.Count, outcomes.Result.Count);
        }
    }

    [StoreFact]
    public async Task Args_and_results_keep_unicode_and_nesting()
    {
        const string args = """{"name":"Zoë ✓ 日本","nested":{"list":[1,2.5,null,true],"quote":"a\"b"}}""";
        var id = await InsertAsync(Row(args: args));
        var claimed = Assert.Single(await ClaimAsync());
        Assert.Equal(JsonSerializer.Serialize(JsonDocument.Parse(args).RootElement), JsonSerializer.Serialize(JsonDocument.Parse(claimed.Args).RootElement));
        await ApplyAsync(T0, AttemptOutcome.Completed(L(id), "w1", args));
        Assert.Equal("Zoë ✓ 日本", (await GetAsync(id)).Result!.Value.GetProperty("name").GetString());
    }
}
