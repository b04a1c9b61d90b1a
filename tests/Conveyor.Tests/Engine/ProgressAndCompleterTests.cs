using Conveyor.Execution;
using Conveyor.Storage;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using Xunit;

namespace Conveyor.Tests.Engine;

/// <summary>Progress writes are throttled on the clock; outcomes are batched and retried through a store outage.</summary>
public sealed class ProgressAndCompleterTests
{
    [Fact]
    public async Task Progress_is_written_at_once_then_at_most_once_per_interval_with_the_newest_value()
    {
        var time = new FakeTimeProvider(EngineRig.Start);
        var store = new InMemoryJobStore(time);
        var row = store.Add("k");
        var job = store.ClaimAs(row.Id, "w1", TimeSpan.FromSeconds(30));
        var progress = new ProgressReporter(store, job, "w1", TimeSpan.FromMilliseconds(250), time, NullLogger.Instance);

        for (var i = 1; i <= 100; i++)
            await progress.ReportAsync(new JobProgress(i));
        Assert.Equal([1], store.ProgressWrites.Select(w => w.Progress.Percent));

        time.Advance(TimeSpan.FromMilliseconds(249));
        Assert.Single(store.ProgressWrites);
        time.Advance(TimeSpan.FromMilliseconds(1));
        await Eventually.That(() => store.ProgressWrites.Count == 2);
        Assert.Equal(100, store.ProgressWrites[^1].Progress.Percent);

        await progress.ReportAsync(new JobProgress(101));
        progress.Close();
        time.Advance(TimeSpan.FromSeconds(1));
        await Task.Yield();
        Assert.Equal(2, store.ProgressWrites.Count);
        Assert.Equal(101, progress.Latest!.Percent);
    }

    [Fact]
    public async Task The_final_progress_rides_with_the_outcome()
    {
        await using var rig = new EngineRig(k => k.Add<Args, ReportsProgressHandler>("reports", new JobKindOptions()));
        var job = rig.Store.Add("reports", args: """{"n":300}""");
        await rig.StartAsync(job.Id);
        await Eventually.That(() => rig.Gate.Entered == 1);
        rig.Gate.Release();
        await Eventually.That(() => rig.Store.Applied.Count == 1);
        Assert.Equal(new JobProgress(100, "item 300", 300, 300), rig.Store[job.Id].Progress);
        Assert.Single(rig.Store.ProgressWrites);
    }

    [Fact]
    public async Task Outcomes_survive_a_store_outage_by_retrying_on_the_clock()
    {
        await using var rig = new EngineRig(k => k.Add<Args, CompletesHandler>("completes", new JobKindOptions()));
        rig.Store.FailNextOutcomeWrites = 2;
        var job = rig.Store.Add("completes");
        await rig.StartAsync(job.Id);
        await Eventually.That(() => rig.Store.FailNextOutcomeWrites == 1, "the first write failed");
        Assert.Empty(rig.Store.Applied);
        // The retries wait on the clock (50 ms, then 200 ms): nothing lands until it moves.
        await Eventually.Advancing(rig.Time, TimeSpan.FromMilliseconds(10), () => rig.Store.Applied.Count == 1, "the third write landed");
        Assert.Equal(JobState.Completed, rig.Store[job.Id].State);
        Assert.Equal(1, rig.Completer.Written);
    }

    // When outcomes pile up, a second batch is written while the first is in flight (the database gets a second backend),
    // never a third; a backlog smaller than a batch waits for the write in flight as before.
    [Fact]
    public async Task A_backlog_of_outcomes_is_written_two_batches_at_a_time_and_never_three()
    {
        var time = new FakeTimeProvider(EngineRig.Start);
        var store = new GatedOutcomeStore(new InMemoryJobStore(time));
        var settings = new WorkerSettings("w1", ["default"], Concurrency: 4, Lease: TimeSpan.FromSeconds(30),
            HeartbeatInterval: TimeSpan.FromSeconds(1), PollInterval: TimeSpan.FromSeconds(1), ProgressInterval: TimeSpan.FromMilliseconds(250),
            CompleterWindow: TimeSpan.Zero, CompleterBatchSize: 10, ShutdownTimeout: TimeSpan.FromSeconds(5), Drain: null, ClaimAhead: 0);
        var completer = new Completer(store, settings, time, NullLogger.Instance);
        for (var i = 0; i < 35; i++)
        {
            var claimed = store.Inner.ClaimAs(store.Inner.Add("k").Id, "w1", TimeSpan.FromSeconds(30));
            Assert.True(await completer.TryAddAsync(AttemptOutcome.Completed(claimed.Lease, "w1", null)));
        }

        completer.Start();
        await Eventually.That(() => store.InFlight == 2, "a second batch started while the first was in flight");
        store.Release(); // batches 1 and 2 land; 3 starts, and the 5 left behind it are less than a batch: they wait
        await Eventually.That(() => store.Started == 3, "the third batch in flight");
        store.Release();
        await Eventually.That(() => store.Started == 4, "the last 5 in flight");
        store.Release();
        await completer.StopAsync();
        // How many writes were in flight as each one started (itself included): never three, and the short last batch
        // waited for the one before it.
        Assert.Equal([1, 2, 1, 1], store.InFlightAtStart);
        Assert.Equal(35, completer.Written);
    }

    /// <summary>Holds every outcome write until released, counting how many are in flight at once.</summary>
    private sealed class GatedOutcomeStore(InMemoryJobStore inner) : IJobExecutionStore
    {
        private readonly object _lock = new();
        private TaskCompletionSource _gate = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private int _inFlight;

        public InMemoryJobStore Inner => inner;
        public int InFlight => Volatile.Read(ref _inFlight);
        public List<int> InFlightAtStart { get; } = [];
        public int Started { get { lock (_lock) return InFlightAtStart.Count; } }

        public void Release()
        {
            lock (_lock)
            {
                var opened = _gate;
                _gate = new(TaskCreationOptions.RunContinuationsAsynchronously);
                opened.SetResult();
            }
        }

        public async Task<IReadOnlyList<AppliedOutcome>> JobApplyOutcomesAsync(JobApplyOutcomesParams p, CancellationToken ct)
        {
            Task gate;
            lock (_lock)
            {
                InFlightAtStart.Add(Interlocked.Increment(ref _inFlight));
                gate = _gate.Task;
            }
            await gate;
            var applied = await inner.JobApplyOutcomesAsync(p, ct);
            Interlocked.Decrement(ref _inFlight);
            return applied;
        }

        public Task<IReadOnlyList<JobInsertResult>> JobInsertManyAsync(JobInsertManyParams p, CancellationToken ct) => inner.JobInsertManyAsync(p, ct);
        public Task<bool> BatchCreateAsync(BatchCreateParams p, CancellationToken ct) => inner.BatchCreateAsync(p, ct);
        public Task<IReadOnlyList<ClaimedJob>> JobClaimAsync(JobClaimParams p, CancellationToken ct) => inner.JobClaimAsync(p, ct);
        public Task<JobHeartbeatResult> JobHeartbeatAsync(JobHeartbeatParams p, CancellationToken ct) => inner.JobHeartbeatAsync(p, ct);
        public Task<bool> JobProgressAsync(JobProgressParams p, CancellationToken ct) => inner.JobProgressAsync(p, ct);
    }

    [Fact]
    public async Task A_late_outcome_for_a_job_held_by_someone_else_is_counted_as_rejected()
    {
        await using var rig = new EngineRig(k => k.Add<Args, CompletesHandler>("completes", new JobKindOptions()));
        var job = rig.Store.Add("completes");
        var claimed = rig.Store.ClaimAs(job.Id, "w1", TimeSpan.FromSeconds(30));
        rig.Store[job.Id].WorkerId = "thief";
        Assert.True(await rig.Completer.TryAddAsync(AttemptOutcome.Completed(claimed.Lease, "w1", null)));
        await Eventually.That(() => rig.Completer.Rejected == 1);
        Assert.Equal(JobState.Running, rig.Store[job.Id].State);
    }
}
