using System.Diagnostics.Metrics;
using Conveyor.Storage;
using Xunit;

namespace Conveyor.Tests.Engine;

/// <summary>The engine's measurements, heard in-process by a MeterListener on the rig's own meter, on the fake clock.</summary>
public sealed class MetricsTests
{
    private static EngineRig Rig() => new(k =>
    {
        k.Add<Args, CompletesHandler>("completes", new JobKindOptions());
        k.Add<Args, ThrowsHandler>("throws", new JobKindOptions());
        k.Add<Args, PermanentHandler>("permanent", new JobKindOptions());
        k.Add<Args, SnoozesHandler>("snoozes", new JobKindOptions());
    });

    [Fact]
    public async Task Attempts_are_counted_by_the_state_the_store_applied_with_wait_and_run_durations_on_the_clock()
    {
        await using var rig = Rig();
        using var heard = new Heard(rig.Metrics.Meter);
        var completes = rig.Store.Add("completes");
        rig.Time.Advance(TimeSpan.FromSeconds(3)); // it could run at once: it waits 3 s for a slot
        await rig.RunAsync(completes.Id);
        var throws = rig.Store.Add("throws", maxAttempts: 2);
        await rig.RunAsync(throws.Id);
        rig.Time.Advance(TimeSpan.FromSeconds(10)); // the back-off (1 s) is over 9 s before the retry starts
        await rig.RunAsync(throws.Id);
        await rig.RunAsync(rig.Store.Add("permanent").Id);
        await rig.RunAsync(rig.Store.Add("snoozes").Id);

        Assert.Equal(5, heard.Sum("conveyor.jobs.started"));
        Assert.Equal(1, heard.Sum("conveyor.jobs.completed", ("kind", "completes"), ("queue", "default")));
        Assert.Equal(1, heard.Sum("conveyor.jobs.retried", ("kind", "throws")));
        Assert.Equal(1, heard.Sum("conveyor.jobs.failed", ("kind", "throws")));
        Assert.Equal(1, heard.Sum("conveyor.jobs.failed", ("kind", "permanent")));
        Assert.Equal(1, heard.Sum("conveyor.jobs.snoozed", ("kind", "snoozes")));
        Assert.Equal([3.0], heard.Values("conveyor.job.wait.duration", ("kind", "completes")));
        Assert.Equal([0.0, 9.0], heard.Values("conveyor.job.wait.duration", ("kind", "throws")));
        Assert.Equal(["completed"], heard.Tags("conveyor.job.run.duration", "outcome", ("kind", "completes")));
        Assert.Equal(["retried", "failed"], heard.Tags("conveyor.job.run.duration", "outcome", ("kind", "throws")));
        Assert.Equal(0, heard.Sum("conveyor.outcomes.rejected"));
    }

    [Fact]
    public async Task An_outcome_the_store_refuses_counts_only_as_rejected_and_worker_gauges_follow_the_slots()
    {
        await using var rig = Rig();
        using var heard = new Heard(rig.Metrics.Meter);
        var job = rig.Store.Add("completes");
        var claimed = rig.Store.ClaimAs(job.Id, "someone-else", TimeSpan.FromSeconds(30));
        await rig.Completer.TryAddAsync(AttemptOutcome.Completed(claimed.Lease, rig.Settings.WorkerId, null) with { Kind = "completes" });
        await Eventually.That(() => heard.Sum("conveyor.outcomes.rejected") == 1);
        Assert.Equal(0, heard.Sum("conveyor.jobs.completed"));

        using (rig.Metrics.TrackWorker("w1", () => 3, slots: 8))
        {
            heard.Observe();
            Assert.Equal(3, heard.Sum("conveyor.worker.running", ("worker", "w1")));
            Assert.Equal(5, heard.Sum("conveyor.worker.free_slots", ("worker", "w1")));
        }
        heard.Clear();
        heard.Observe();
        Assert.Empty(heard.Values("conveyor.worker.running"));
    }

    /// <summary>Every measurement of one meter instance: name, value, tags.</summary>
    private sealed class Heard : IDisposable
    {
        private readonly MeterListener _listener = new();
        private readonly List<(string Name, double Value, Dictionary<string, string?> Tags)> _all = [];

        public Heard(Meter meter)
        {
            _listener.InstrumentPublished = (instrument, listener) =>
            {
                if (ReferenceEquals(instrument.Meter, meter))
                    listener.EnableMeasurementEvents(instrument);
            };
            _listener.SetMeasurementEventCallback<long>((i, v, t, _) => Add(i, v, t));
            _listener.SetMeasurementEventCallback<int>((i, v, t, _) => Add(i, v, t));
            _listener.SetMeasurementEventCallback<double>((i, v, t, _) => Add(i, v, t));
            _listener.Start();
        }

        private void Add(Instrument instrument, double value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
        {
            var copy = new Dictionary<string, string?>();
            foreach (var tag in tags)
                copy[tag.Key] = tag.Value?.ToString();
            lock (_all)
                _all.Add((instrument.Name, value, copy));
        }

        public void Observe() => _listener.RecordObservableInstruments();

        public void Clear()
        {
            lock (_all)
                _all.Clear();
        }

        public List<double> Values(string name, params (string Key, string Value)[] where)
        {
            lock (_all)
                return [.. _all.Where(m => m.Name == name && where.All(w => m.Tags.GetValueOrDefault(w.Key) == w.Value)).Select(m => m.Value)];
        }

        public double Sum(string name, params (string Key, string Value)[] where) => Values(name, where).Sum();

        public List<string?> Tags(string name, string key, params (string Key, string Value)[] where)
        {
            lock (_all)
                return [.. _all.Where(m => m.Name == name && where.All(w => m.Tags.GetValueOrDefault(w.Key) == w.Value)).Select(m => m.Tags.GetValueOrDefault(key))];
        }

        public void Dispose() => _listener.Dispose();
    }
}
