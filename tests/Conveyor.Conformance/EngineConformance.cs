using System.Collections.Concurrent;
using Conveyor.Storage;
using Conveyor.Testing;
using Microsoft.Extensions.DependencyInjection;
using Xunit;
using static Conveyor.Conformance.EngineHandlers;

namespace Conveyor.Conformance;

/// <summary>
/// The engine end to end (producer, executor, completer, lease keeper, rescuer) over a real store. Each
/// store's test project subclasses this once, so the engine behaves the same on every store.
/// </summary>
public abstract class EngineConformance<TFactory> : IAsyncLifetime where TFactory : IStoreFactory, new()
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);
    private readonly List<IAsyncDisposable> _disposables = [];
    private readonly TFactory _factory = new();

    public static string? SkipReason => TFactory.SkipReason;

    private Task<IConveyorStore> CreateStoreAsync() => _factory.CreateStoreAsync();

    private Task<IConveyorStore> OpenAgainAsync() => _factory.OpenAgainAsync();

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        foreach (var disposable in Enumerable.Reverse(_disposables))
            await disposable.DisposeAsync();
        await _factory.DisposeAsync();
    }

    private async Task<ConveyorTestHost> StartAsync(IConveyorStore store, Action<ConveyorOptions>? configure = null, bool start = true)
    {
        var host = new ConveyorTestHost(store, o =>
        {
            o.Backoff = new BackoffPolicy(TimeSpan.FromMilliseconds(20), 2, TimeSpan.FromMilliseconds(100), 0);
            o.AddHandler<RecordArgs, RecordHandler>("test.record");
            o.AddHandler<FlakyArgs, FlakyHandler>("test.flaky");
            o.AddHandler<SleepArgs, SleepHandler>("test.sleep", k => k.Timeout = TimeSpan.FromSeconds(20));
            o.AddHandler<ProgressArgs, ProgressHandler>("test.progress");
            o.AddHandler<SnoozeArgs, SnoozeHandler>("test.snooze");
            o.AddHandler<PermanentArgs, PermanentHandler>("test.permanent");
            o.AddHandler<SleepArgs, SleepHandler>("test.timeout", k => k.Timeout = TimeSpan.FromMilliseconds(200));
            configure?.Invoke(o);
        }, services => services.AddSingleton<ExecutionLog>());
        _disposables.Add(host);
        if (start)
            await host.StartAsync();
        return host;
    }

    private static async Task<Job> WaitAsync(ConveyorTestHost host, long id) => await host.Client.WaitAsync(id, Patience);

    [StoreFact]
    public async Task Drains_many_jobs_each_run_exactly_once()
    {
        var host = await StartAsync(await CreateStoreAsync(), o => o.Concurrency = 8);
        var requests = Enumerable.Range(0, 1000).Select(i => new JobRequest("test.record", $$"""{"n":{{i}}}""")).ToList();
        var ids = await host.Client.EnqueueManyAsync(requests);
        await host.DrainAsync(Patience);
        var log = host.Services.GetRequiredService<ExecutionLog>();
        Assert.Equal(1000, log.Runs.Count);
        Assert.All(ids, r => Assert.Equal(1, log.Runs[r.Id]));
        var stats = Assert.Single(await host.Client.QueuesAsync());
        Assert.Equal(1000, stats.Count(JobState.Completed));
    }

    [StoreFact]
    public async Task Result_is_stored_and_final_progress_always_lands()
    {
        var host = await StartAsync(await CreateStoreAsync());
        var id = (await host.Client.EnqueueKindAsync("test.progress", """{"reports":300}""")).Id;
        var job = await WaitAsync(host, id);
        Assert.Equal(JobState.Completed, job.State);
        Assert.Equal(300, job.Result!.Value.GetProperty("reported").GetInt32());
        Assert.Equal(new JobProgress(100, "item 300", 300, 300), job.Progress);
    }

    [StoreFact]
    public async Task Progress_writes_are_throttled()
    {
        var counting = new ProgressCountingStore(await CreateStoreAsync());
        var host = await StartAsync(counting, o => o.ProgressInterval = TimeSpan.FromMilliseconds(200));
        // 300 reports over at least 600 ms: at one write per 200 ms, only a handful may reach the store
        // (the bound follows the handler's real run time, so a slow machine does not make it flaky).
        var id = (await host.Client.EnqueueKindAsync("test.progress", """{"reports":300,"delayMs":2}""")).Id;
        var job = await WaitAsync(host, id);
        Assert.Equal(JobState.Completed, job.State);
        Assert.Equal(300, job.Progress!.Done);
        var elapsedMs = job.Result!.Value.GetProperty("elapsedMs").GetDouble();
        Assert.InRange(counting.ProgressWrites, 1, (int)(elapsedMs / 200) + 2);
        Assert.True(counting.ProgressWrites < 100, $"{counting.ProgressWrites} progress writes for 300 reports");
    }

    [StoreFact]
    public async Task Failing_handler_is_retried_with_back_off_then_failed_with_every_error()
    {
        var host = await StartAsync(await CreateStoreAsync());
        var id = (await host.Client.EnqueueKindAsync("test.flaky", """{"failTimes":100}""", new EnqueueOptions { MaxAttempts = 3 })).Id;
        var job = await WaitAsync(host, id);
        Assert.Equal(JobState.Failed, job.State);
        Assert.Equal(3, job.Attempt);
        Assert.Equal([1, 2, 3], job.Errors.Select(e => e.Attempt).ToArray());
        Assert.All(job.Errors, e => Assert.Equal(typeof(InvalidOperationException).FullName, e.Type));
        Assert.Contains("FlakyHandler", job.Errors[0].Stack);
    }

    [StoreFact]
    public async Task Handler_that_recovers_completes_on_a_later_attempt()
    {
        var host = await StartAsync(await CreateStoreAsync());
        var id = (await host.Client.EnqueueKindAsync("test.flaky", """{"failTimes":2}""")).Id;
        var job = await WaitAsync(host, id);
        Assert.Equal(JobState.Completed, job.State);
        Assert.Equal(3, job.Attempt);
        Assert.Equal(2, job.Errors.Count);
    }

    [StoreFact]
    public async Task Permanent_failure_is_not_retried()
    {
        var host = await StartAsync(await CreateStoreAsync());
        var id = (await host.Client.EnqueueKindAsync("test.permanent")).Id;
        var job = await WaitAsync(host, id);
        Assert.Equal(JobState.Failed, job.State);
        Assert.Equal(1, job.Attempt);
        Assert.Equal("no retry for you", Assert.Single(job.Errors).Message);
    }

    [StoreFact]
    public async Task Snooze_runs_again_later_without_charging_an_attempt()
    {
        var host = await StartAsync(await CreateStoreAsync());
        var id = (await host.Client.EnqueueKindAsync("test.snooze", """{"times":2}""")).Id;
        var job = await WaitAsync(host, id);
        Assert.Equal(JobState.Completed, job.State);
        Assert.Equal(1, job.Attempt);
        Assert.Empty(job.Errors);
        Assert.Equal(3, host.Services.GetRequiredService<ExecutionLog>().Runs[id]);
    }

    [StoreFact]
    public async Task Timeout_cancels_the_attempt_and_records_a_timeout_error()
    {
        var host = await StartAsync(await CreateStoreAsync());
        var id = (await host.Client.EnqueueKindAsync("test.timeout", """{"ms":10000}""", new EnqueueOptions { MaxAttempts = 2 })).Id;
        var job = await WaitAsync(host, id);
        Assert.Equal(JobState.Failed, job.State);
        Assert.Equal(2, job.Errors.Count);
        Assert.All(job.Errors, e => Assert.Equal("Timeout", e.Type));
    }

    [StoreFact]
    public async Task A_kind_no_worker_runs_waits_uncharged_without_blocking_others_until_a_worker_that_knows_it_starts()
    {
        var store = await CreateStoreAsync();
        var host = await StartAsync(store);
        // A typo'd or not-yet-deployed kind, first in line by priority.
        var waiting = (await host.Client.EnqueueKindAsync("later.kind", """{"n":1}""", new EnqueueOptions { MaxAttempts = 2, Priority = 10 })).Id;
        var known = (await host.Client.EnqueueKindAsync("test.record", """{"n":2}""")).Id;
        Assert.Equal(JobState.Completed, (await WaitAsync(host, known)).State);
        await Task.Delay(300);
        var job = (await host.Client.GetAsync(waiting))!;
        Assert.Equal((JobState.Queued, 0, 0), (job.State, job.Attempt, job.Errors.Count));

        // A worker (another process's view of the store) that has the handler takes it.
        var second = await StartAsync(await _factory.OpenAgainAsync(), o => o.AddHandler<RecordArgs, RecordHandler>("later.kind"));
        job = await WaitAsync(second, waiting);
        Assert.Equal((JobState.Completed, 1), (job.State, job.Attempt));
        var workers = await store.WorkerListAsync(new WorkerListParams(), default);
        Assert.Contains(workers, w => w.Id == second.Options.WorkerId && w.Kinds!.Contains("later.kind"));
        Assert.Contains(workers, w => w.Id == host.Options.WorkerId && !w.Kinds!.Contains("later.kind"));
    }

    [StoreFact]
    public async Task Why_names_what_stands_between_a_job_and_a_worker()
    {
        var host = await StartAsync(await CreateStoreAsync(), o => o.Queues = ["default", "mail"]);
        var client = host.Client;
        async Task<string> CodeAsync(long id) => (await client.WhyAsync(id)).Reasons[0].Code;

        var later = (await client.EnqueueKindAsync("test.record", """{"n":1}""", new EnqueueOptions { Delay = TimeSpan.FromHours(1) })).Id;
        Assert.Equal("scheduled", await CodeAsync(later));
        Assert.Matches(@"scheduled for .*, in (59(\.\d)?|60)m\.$", (await client.WhyAsync(later)).Reasons[0].Message);

        var typo = (await client.EnqueueKindAsync("test.recrod", """{"n":2}""")).Id;
        var why = await client.WhyAsync(typo);
        Assert.Equal((JobState.Queued, "no-worker-for-kind"), (why.State, why.Reasons[0].Code));
        Assert.Contains("'test.recrod'", why.Reasons[0].Message);

        var nowhere = (await client.EnqueueKindAsync("test.record", """{"n":3}""", new EnqueueOptions { Queue = "reports" })).Id;
        Assert.Equal("no-worker-for-queue", await CodeAsync(nowhere));

        await client.PauseQueueAsync("mail");
        var paused = (await client.EnqueueKindAsync("test.record", """{"n":4}""", new EnqueueOptions { Queue = "mail" })).Id;
        Assert.Equal("queue-paused", await CodeAsync(paused));

        var dependent = (await client.EnqueueKindAsync("test.record", """{"n":5}""", new EnqueueOptions { DependsOn = [later] })).Id;
        why = await client.WhyAsync(dependent);
        Assert.Equal((JobState.Waiting, "waiting-on-dependencies"), (why.State, why.Reasons[0].Code));
        Assert.Contains($"job {later} (scheduled)", why.Reasons[0].Message);

        var done = (await client.EnqueueKindAsync("test.record", """{"n":6}""")).Id;
        await WaitAsync(host, done);
        Assert.Equal("finished", await CodeAsync(done));
        await Assert.ThrowsAsync<JobNotFoundException>(() => client.WhyAsync(987_654));
    }

    [StoreFact]
    public async Task Strict_kinds_refuse_unknown_kinds_and_enqueue_nothing()
    {
        var host = await StartAsync(await CreateStoreAsync(), o => o.StrictKinds = true, start: false);
        await Assert.ThrowsAsync<UnknownJobKindException>(() => host.Client.EnqueueKindAsync("nobody.knows"));
        Assert.Empty(await host.Client.ListAsync(new JobQuery()));
    }

    [StoreFact]
    public async Task Bad_input_gets_a_clear_error_and_changes_nothing()
    {
        var host = await StartAsync(await CreateStoreAsync(), o => o.MaxArgsBytes = 1000, start: false);
        var client = host.Client;
        await Assert.ThrowsAsync<JobValidationException>(() => client.EnqueueKindAsync("test.record", "{not json"));
        await Assert.ThrowsAsync<JobTooLargeException>(() => client.EnqueueKindAsync("test.record", $$"""{"big":"{{new string('x', 2000)}}"}"""));
        await Assert.ThrowsAsync<JobValidationException>(() => client.EnqueueKindAsync("test.record", null, new EnqueueOptions { MaxAttempts = 0 }));
        await Assert.ThrowsAsync<JobValidationException>(() => client.EnqueueKindAsync("test.record", null, new EnqueueOptions { Delay = TimeSpan.FromSeconds(-1) }));
        await Assert.ThrowsAsync<JobValidationException>(() => client.EnqueueKindAsync("test.record", null, new EnqueueOptions { Queue = "bad queue!" }));
        await Assert.ThrowsAsync<JobValidationException>(() => client.EnqueueKindAsync("", null));
        // One bad job in a batch: none of the batch is written.
        await Assert.ThrowsAsync<JobValidationException>(() => client.EnqueueManyAsync([new JobRequest("test.record"), new JobRequest("test.record", "[")]));
        Assert.Empty(await client.ListAsync(new JobQuery()));
    }

    [StoreFact]
    public async Task Typed_enqueue_uses_the_registered_kind_and_delays_schedule()
    {
        var host = await StartAsync(await CreateStoreAsync());
        var id = (await host.Client.EnqueueAsync(new RecordArgs(7), new EnqueueOptions { Delay = TimeSpan.FromMilliseconds(300) })).Id;
        var enqueued = await host.Client.GetAsync(id);
        Assert.Equal("test.record", enqueued!.Kind);
        // The delay counts from the store's now (SQLite's arithmetic keeps milliseconds); no assumption about how
        // quickly this test reads the job back.
        Assert.InRange(enqueued.RunAt - enqueued.CreatedAt, TimeSpan.FromMilliseconds(299), TimeSpan.FromMilliseconds(301));
        var job = await WaitAsync(host, id);
        Assert.Equal(JobState.Completed, job.State);
        Assert.True(job.StartedAt >= job.RunAt, $"started {job.StartedAt:O} before its run_at {job.RunAt:O}");
    }

    [StoreFact]
    public async Task Idle_worker_wakes_on_enqueue_without_waiting_for_the_poll()
    {
        var host = await StartAsync(await CreateStoreAsync(), o => o.PollInterval = TimeSpan.FromSeconds(20));
        await Task.Delay(200);
        var started = DateTimeOffset.UtcNow;
        var id = (await host.Client.EnqueueKindAsync("test.record", """{"n":1}""")).Id;
        var job = await WaitAsync(host, id);
        Assert.Equal(JobState.Completed, job.State);
        Assert.True(DateTimeOffset.UtcNow - started < TimeSpan.FromSeconds(10), "the job waited for the poll interval");
    }

    [StoreFact]
    public async Task A_slot_freed_behind_long_jobs_is_refilled_at_once()
    {
        var host = await StartAsync(await CreateStoreAsync(), o =>
        {
            o.Concurrency = 8;
            o.PollInterval = TimeSpan.FromSeconds(30);
            o.ShutdownTimeout = TimeSpan.FromMilliseconds(100);
        });
        var requests = Enumerable.Range(0, 7).Select(_ => new JobRequest("test.sleep", """{"ms":20000}"""))
            .Append(new JobRequest("test.sleep", """{"ms":200}""", new EnqueueOptions { Priority = -1 }))
            .ToList();
        await host.Client.EnqueueManyAsync(requests);
        var next = (await host.Client.EnqueueKindAsync("test.record", """{"n":9}""", new EnqueueOptions { Priority = -2 })).Id;
        // Seven slots stay busy for 20 s; the eighth frees after 200 ms and must take the waiting job then.
        var job = await host.Client.WaitAsync(next, TimeSpan.FromSeconds(10));
        Assert.Equal(JobState.Completed, job.State);
    }

    [StoreFact]
    public async Task A_job_enqueued_by_another_process_wakes_an_idle_worker_without_the_poll()
    {
        var host = await StartAsync(await CreateStoreAsync(), o => o.PollInterval = TimeSpan.FromSeconds(30));
        await Task.Delay(300);
        // Another process's view of the same database: its enqueue cannot signal this process directly.
        await using var elsewhere = await OpenAgainAsync();
        var id = (await elsewhere.JobInsertManyAsync(new JobInsertManyParams([new JobInsertRow("test.record", "default", """{"n":1}""", 0, 3)]), default))[0].Id;
        var job = await host.Client.WaitAsync(id, TimeSpan.FromSeconds(20));
        Assert.Equal(JobState.Completed, job.State);
        // Both times are the store's: the worker woke on the other process's commit, not on its 30 s poll.
        Assert.True(job.StartedAt - job.CreatedAt < TimeSpan.FromSeconds(5), $"started {job.StartedAt - job.CreatedAt} after the enqueue");
    }

    [StoreFact]
    public async Task Cancelling_a_running_job_reaches_its_handler_and_ends_cancelled()
    {
        var host = await StartAsync(await CreateStoreAsync(), o => o.Lease = TimeSpan.FromSeconds(3));
        var id = (await host.Client.EnqueueKindAsync("test.sleep", """{"ms":20000}""")).Id;
        await WaitForStateAsync(host, id, JobState.Running);
        var requested = DateTimeOffset.UtcNow;
        Assert.Equal(CancelOutcome.CancelRequested, (await host.Client.CancelAsync(id)).Outcome);
        var job = await WaitAsync(host, id);
        Assert.Equal(JobState.Cancelled, job.State);
        Assert.True(DateTimeOffset.UtcNow - requested < TimeSpan.FromSeconds(5));
        Assert.True(host.Services.GetRequiredService<ExecutionLog>().Cancelled.ContainsKey(id));
    }

    [StoreFact]
    public async Task Graceful_shutdown_hands_unfinished_jobs_back_without_charging_an_attempt()
    {
        var host = await StartAsync(await CreateStoreAsync(), o => o.ShutdownTimeout = TimeSpan.FromMilliseconds(300));
        var id = (await host.Client.EnqueueKindAsync("test.sleep", """{"ms":20000}""")).Id;
        await WaitForStateAsync(host, id, JobState.Running);
        await host.StopAsync();
        var job = await host.Client.GetAsync(id);
        Assert.True(host.Services.GetRequiredService<ExecutionLog>().Cancelled.ContainsKey(id), "the handler saw its token cancelled at shutdown");
        Assert.Equal(JobState.Queued, job!.State);
        Assert.Equal(0, job.Attempt);
        Assert.Null(job.WorkerId);

        // Another worker on the same database picks it up: the handed-back job runs again as attempt 1 there.
        var second = await StartAsync(await OpenAgainAsync());
        var rerun = await WaitForAsync(second, id, j => j.State == JobState.Running);
        Assert.Equal((1, second.Options.WorkerId), (rerun.Attempt, rerun.WorkerId));
        await second.Client.CancelAsync(id);
        Assert.Equal(JobState.Cancelled, (await WaitAsync(second, id)).State);
        Assert.True(second.Services.GetRequiredService<ExecutionLog>().Cancelled.ContainsKey(id));
    }

    [StoreFact]
    public async Task Jobs_finishing_within_the_shutdown_timeout_complete_normally()
    {
        var host = await StartAsync(await CreateStoreAsync(), o => o.ShutdownTimeout = TimeSpan.FromSeconds(10));
        var id = (await host.Client.EnqueueKindAsync("test.sleep", """{"ms":500}""")).Id;
        await WaitForStateAsync(host, id, JobState.Running);
        await host.StopAsync();
        Assert.Equal(JobState.Completed, (await host.Client.GetAsync(id))!.State);
    }

    [StoreFact]
    public async Task Job_of_a_dead_worker_is_rescued_and_run_again()
    {
        var store = await CreateStoreAsync();
        var host = await StartAsync(store, o =>
        {
            o.RescueInterval = TimeSpan.FromMilliseconds(100);
            o.Lease = TimeSpan.FromSeconds(1);
        });
        // A worker that claimed the job and died: nobody heartbeats its lease.
        var id = (await store.JobInsertManyAsync(new JobInsertManyParams([new JobInsertRow("test.record", "elsewhere", "{}", 0, 5)]), default))[0].Id;
        var claimed = await store.JobClaimAsync(new JobClaimParams("dead-worker", ["elsewhere"], 1, TimeSpan.FromMilliseconds(300)), default);
        Assert.Single(claimed);
        var job = await WaitForAsync(host, id, j => j.State == JobState.Scheduled && j.Errors.Count == 1);
        Assert.Equal("WorkerLost", job.Errors[0].Type);
        Assert.Contains("dead-worker", job.Errors[0].Message);

        // The late outcome of the dead worker is fenced out.
        var late = await store.JobApplyOutcomesAsync(new JobApplyOutcomesParams([AttemptOutcome.Completed(new JobLease(id, 1), "dead-worker", null)]), default);
        Assert.Empty(late);
    }

    [StoreFact]
    public async Task A_job_that_keeps_heartbeating_is_never_rescued()
    {
        var host = await StartAsync(await CreateStoreAsync(), o =>
        {
            o.RescueInterval = TimeSpan.FromMilliseconds(100);
            o.Lease = TimeSpan.FromMilliseconds(1500);
        });
        // Runs for more than twice its lease: only the heartbeats keep it.
        var id = (await host.Client.EnqueueKindAsync("test.sleep", """{"ms":4000}""")).Id;
        var job = await WaitAsync(host, id);
        Assert.Equal(JobState.Completed, job.State);
        Assert.Equal(1, job.Attempt);
        Assert.Empty(job.Errors);
    }

    [StoreFact]
    public async Task A_running_worker_keeps_its_record_and_removes_it_on_clean_exit()
    {
        var store = await CreateStoreAsync();
        var host = await StartAsync(store, o =>
        {
            o.Queues = ["default", "other"];
            o.Concurrency = 3;
        });
        var worker = Assert.Single(await store.WorkerListAsync(new WorkerListParams(), default));
        Assert.Equal((host.Options.WorkerId, Environment.ProcessId, 3), (worker.Id, worker.Pid, worker.Concurrency));
        Assert.Equal(["default", "other"], worker.Queues);
        await host.StopAsync();
        Assert.Empty(await store.WorkerListAsync(new WorkerListParams(), default));
    }

    private static Task<Job> WaitForStateAsync(ConveyorTestHost host, long id, JobState state) => WaitForAsync(host, id, j => j.State == state);

    private static async Task<Job> WaitForAsync(ConveyorTestHost host, long id, Func<Job, bool> condition)
    {
        var deadline = DateTimeOffset.UtcNow + Patience;
        while (true)
        {
            var job = await host.Client.GetAsync(id);
            if (job is not null && condition(job))
                return job;
            if (DateTimeOffset.UtcNow > deadline)
                throw new TimeoutException($"job {id} never reached the expected condition; it is {job?.State}");
            await Task.Delay(20);
        }
    }

    private sealed class ProgressCountingStore(IConveyorStore inner) : DelegatingStore(inner)
    {
        private int _writes;
        public int ProgressWrites => Volatile.Read(ref _writes);

        public override Task<bool> JobProgressAsync(JobProgressParams p, CancellationToken ct)
        {
            Interlocked.Increment(ref _writes);
            return base.JobProgressAsync(p, ct);
        }
    }
}
