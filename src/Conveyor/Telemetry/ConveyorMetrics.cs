using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using Conveyor.Storage;

namespace Conveyor.Telemetry;

/// <summary>
/// Conveyor's instruments (meter <see cref="ConveyorDiagnostics.MeterName"/>), recorded in one place. Counters and histograms
/// carry <c>queue</c> and <c>kind</c>; outcomes are counted once the store applied them (by the state they led to), so a
/// rejected outcome counts only as rejected. Queue gauges read a snapshot of the maintained counts that
/// <see cref="QueueGaugeSampler"/> refreshes while anyone observes them; nothing counts the jobs table per scrape.
/// </summary>
internal sealed class ConveyorMetrics : IDisposable
{
    /// <summary>Bucket bounds for durations in seconds, from a millisecond to ten minutes (the SDK's defaults suit milliseconds).</summary>
    private static readonly IReadOnlyList<double> SecondsBuckets = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600];

    private readonly Meter _meter;
    private readonly Counter<long> _enqueued, _started, _completed, _failed, _retried, _rescued, _cancelled, _snoozed, _handedBack, _rejected;
    private readonly Counter<long>[] _outcomeCounters;
    private readonly Histogram<double> _runDuration, _waitDuration;
    private readonly ObservableGauge<long> _queueJobs;
    private readonly ObservableGauge<double> _oldestAge;
    private readonly ConcurrentDictionary<string, (Func<int> Running, int Slots)> _workers = new(StringComparer.Ordinal);
    private volatile IReadOnlyList<QueueStats> _queues = [];

    public ConveyorMetrics(IMeterFactory? factory = null)
    {
        _meter = factory?.Create(ConveyorDiagnostics.MeterName) ?? new Meter(ConveyorDiagnostics.MeterName);
        Counter<long> Jobs(string what, string description) => _meter.CreateCounter<long>($"conveyor.jobs.{what}", "{job}", description);
        _enqueued = Jobs("enqueued", "Jobs enqueued (a duplicate of a held unique key is not).");
        _started = Jobs("started", "Attempts started by this process's workers.");
        _completed = Jobs("completed", "Attempts that completed their job.");
        _failed = Jobs("failed", "Jobs that failed for good (no attempts left, or a permanent failure).");
        _retried = Jobs("retried", "Failed attempts scheduled to run again after a back-off.");
        _rescued = Jobs("rescued", "Attempts whose worker stopped heartbeating, taken back by the rescuer.");
        _cancelled = Jobs("cancelled", "Attempts that ended cancelled.");
        _snoozed = Jobs("snoozed", "Attempts that asked to run later.");
        _handedBack = Jobs("handed_back", "Attempts given back unfinished at shutdown.");
        _rejected = _meter.CreateCounter<long>("conveyor.outcomes.rejected", "{outcome}",
            "Outcomes refused by the store: the worker no longer held the job (rescued or cancelled meanwhile).");
        // Every counter exists from the start (a zero without labels), so that a dashboard's query of one that has not
        // counted yet shows 0 rather than no data: Prometheus' advice for series known in advance.
        _outcomeCounters = [_completed, _failed, _retried, _rescued, _cancelled, _snoozed, _handedBack, _rejected];
        foreach (var counter in (Counter<long>[])[_enqueued, _started, .. _outcomeCounters])
            counter.Add(0);
        var buckets = new InstrumentAdvice<double> { HistogramBucketBoundaries = SecondsBuckets };
        _runDuration = _meter.CreateHistogram("conveyor.job.run.duration", "s", "How long attempts ran, by outcome.", advice: buckets);
        _waitDuration = _meter.CreateHistogram("conveyor.job.wait.duration", "s",
            "How long jobs waited from when they could run (their run-at: a delay or back-off does not count) to their start.", advice: buckets);
        _queueJobs = _meter.CreateObservableGauge("conveyor.queue.jobs", ObserveQueueJobs, "{job}", "Jobs per queue and state (maintained counts).");
        _oldestAge = _meter.CreateObservableGauge("conveyor.queue.oldest_age", ObserveOldest, "s", "How long the oldest ready job of each queue has waited.");
        _meter.CreateObservableGauge("conveyor.worker.running", () => _workers.Select(w => new Measurement<int>(w.Value.Running(), new KeyValuePair<string, object?>("worker", w.Key))),
            "{job}", "Attempts running in each worker process.");
        _meter.CreateObservableGauge("conveyor.worker.free_slots", () => _workers.Select(w => new Measurement<int>(Math.Max(0, w.Value.Slots - w.Value.Running()), new KeyValuePair<string, object?>("worker", w.Key))),
            "{slot}", "Free slots of each worker process.");
    }

    /// <summary>The meter, for a listener that wants this instance's measurements only.</summary>
    public Meter Meter => _meter;

    /// <summary>Whether anyone observes the queue gauges (the sampler reads the store only then).</summary>
    public bool QueueGaugesObserved => _queueJobs.Enabled || _oldestAge.Enabled;

    public void SetQueues(IReadOnlyList<QueueStats> queues) => _queues = queues;

    public void Enqueued(string queue, string kind) => _enqueued.Add(1, Tags(queue, kind));

    /// <summary>An attempt starts: counted, and its wait since it could first run.</summary>
    public void Started(ClaimedJob job, DateTimeOffset now)
    {
        // Nobody listening (no exporter, no MeterListener): no tags built, nothing computed, for each of thousands of jobs a
        // second.
        if (!_started.Enabled && !_waitDuration.Enabled)
            return;
        var tags = Tags(job.Queue, job.Kind);
        _started.Add(1, tags);
        if (job.RunAt is { } eligible)
            _waitDuration.Record(Math.Max(0, (now - eligible).TotalSeconds), tags);
    }

    public void Ran(ClaimedJob job, OutcomeReason reason, TimeSpan duration)
    {
        if (!_runDuration.Enabled)
            return;
        var tags = Tags(job.Queue, job.Kind);
        tags.Add("outcome", reason.ToName());
        _runDuration.Record(duration.TotalSeconds, tags);
    }

    /// <summary>Counts what the store applied (by the state each outcome led to) and what it refused.</summary>
    public void Applied(IReadOnlyList<AttemptOutcome> submitted, IReadOnlyList<AppliedOutcome> applied)
    {
        if (!_outcomeCounters.Any(c => c.Enabled))
            return;
        var byId = applied.ToDictionary(a => a.Id);
        foreach (var outcome in submitted)
        {
            if (!byId.TryGetValue(outcome.Id, out var result))
            {
                _rejected.Add(1, Tags("", outcome.Kind ?? "", ("reason", outcome.Reason.ToName())));
                continue;
            }
            var tags = Tags(result.Queue, outcome.Kind ?? "");
            if (outcome.Reason == OutcomeReason.Rescued)
                _rescued.Add(1, tags);
            var counter = result.State switch
            {
                JobState.Completed => _completed,
                JobState.Failed => _failed,
                JobState.Cancelled => _cancelled,
                JobState.Queued => _handedBack,
                _ when outcome.Reason == OutcomeReason.Snoozed => _snoozed,
                _ when outcome.Reason == OutcomeReason.Rescued => null,
                _ => _retried,
            };
            counter?.Add(1, tags);
        }
    }

    /// <summary>Publishes a worker's running jobs and free slots until disposed.</summary>
    public IDisposable TrackWorker(string workerId, Func<int> running, int slots)
    {
        _workers[workerId] = (running, slots);
        return new Untrack(() => _workers.TryRemove(workerId, out _));
    }

    private IEnumerable<Measurement<long>> ObserveQueueJobs() =>
        _queues.SelectMany(q => JobStateNames.All.Select(s => new Measurement<long>(q.Count(s),
            new KeyValuePair<string, object?>("queue", q.Queue), new KeyValuePair<string, object?>("state", s.ToName()))));

    private IEnumerable<Measurement<double>> ObserveOldest() =>
        _queues.Select(q => new Measurement<double>(q.OldestWaitingAge?.TotalSeconds ?? 0, new KeyValuePair<string, object?>("queue", q.Queue)));

    private static TagList Tags(string queue, string kind, (string Key, string Value)? extra = null)
    {
        var tags = new TagList { { "queue", queue }, { "kind", kind } };
        if (extra is { } e)
            tags.Add(e.Key, e.Value);
        return tags;
    }

    public void Dispose() => _meter.Dispose();

    private sealed class Untrack(Action action) : IDisposable
    {
        public void Dispose() => action();
    }
}
