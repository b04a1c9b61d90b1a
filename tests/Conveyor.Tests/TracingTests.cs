using System.Diagnostics;
using Conveyor.Storage;
using Conveyor.Telemetry;
using Xunit;

namespace Conveyor.Tests;

/// <summary>Conveyor's spans heard in-process by an ActivityListener: producer, stored context, consumer child or link, status.</summary>
public sealed class TracingTests : IDisposable
{
    private readonly ConveyorTracing _tracing = new();
    private readonly ActivityListener _listener;
    private readonly List<Activity> _ended = [];

    public TracingTests()
    {
        _listener = new ActivityListener
        {
            ShouldListenTo = source => ReferenceEquals(source, _tracing.Source),
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = a => { lock (_ended) _ended.Add(a); },
        };
        ActivitySource.AddActivityListener(_listener);
    }

    private static ClaimedJob Job(string? traceParent, string queue = "default") =>
        new(7, queue, "report.build", "{}", 2, 5, 0, DateTimeOffset.UnixEpoch, null, null, null, traceParent);

    [Fact]
    public void The_enqueue_span_is_the_callers_child_and_the_attempt_continues_it()
    {
        using var caller = new Activity("web request").SetIdFormat(ActivityIdFormat.W3C).Start();
        string stored;
        using (var producer = _tracing.StartEnqueue([new JobInsertRow("report.build", "default", "{}", 0, 5)]))
        {
            Assert.NotNull(producer);
            Assert.Equal((ActivityKind.Producer, caller.SpanId, "send default"), (producer!.Kind, producer.ParentSpanId, producer.DisplayName));
            stored = ConveyorTracing.TraceParentOf(producer)!;
            Assert.Equal(producer.Id, stored);
        }
        caller.Stop();

        var attempt = _tracing.StartAttempt(Job(stored), link: false)!;
        Assert.Equal(attempt, Activity.Current);
        Assert.Equal((ActivityKind.Consumer, caller.TraceId, "process default"), (attempt.Kind, attempt.TraceId, attempt.DisplayName));
        Assert.Equal(stored.Split('-')[2], attempt.ParentSpanId.ToHexString());
        Assert.Equal(("conveyor", "7", 2), ((string?)attempt.GetTagItem("messaging.system"), (string?)attempt.GetTagItem("messaging.message.id"), (int?)attempt.GetTagItem("conveyor.job.attempt")));
        ConveyorTracing.End(attempt, AttemptOutcome.Completed(new JobLease(7, 2), "w", null));
        Assert.Equal(ActivityStatusCode.Unset, attempt.Status);
    }

    [Fact]
    public void A_link_queue_starts_a_new_trace_linked_to_the_stored_one_and_a_failure_is_an_error()
    {
        const string stored = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
        using var ambient = new Activity("worker loop").Start();
        var attempt = _tracing.StartAttempt(Job(stored, "later"), link: true)!;
        Assert.NotEqual("4bf92f3577b34da6a3ce929d0e0e4736", attempt.TraceId.ToHexString());
        Assert.Equal(default, attempt.ParentSpanId); // a root: not the worker loop's ambient activity
        Assert.Equal("4bf92f3577b34da6a3ce929d0e0e4736", Assert.Single(attempt.Links).Context.TraceId.ToHexString());
        ConveyorTracing.End(attempt, AttemptOutcome.Failed(new JobLease(7, 2), "w", new JobError(DateTimeOffset.UnixEpoch, 2, "E", "disk full")));
        Assert.Equal((ActivityStatusCode.Error, "disk full", "failed"), (attempt.Status, attempt.StatusDescription, (string?)attempt.GetTagItem("conveyor.outcome")));
        Assert.Contains(attempt, _ended);
    }

    [Fact]
    public void Without_a_stored_context_or_a_listener_nothing_breaks()
    {
        var root = _tracing.StartAttempt(Job(null), link: false)!;
        Assert.Equal(default, root.ParentSpanId);
        root.Dispose();
        using var unheard = new ConveyorTracing();
        Assert.Null(unheard.StartAttempt(Job(null), link: false));
        Assert.Null(unheard.StartEnqueue([new JobInsertRow("k", "q", "{}", 0, 1)]));
    }

    [Fact]
    public void An_outcome_is_named_as_the_metrics_label_it_and_every_reason_has_a_snake_case_name()
    {
        var attempt = _tracing.StartAttempt(Job(null), link: false)!;
        ConveyorTracing.End(attempt, AttemptOutcome.HandedBack(new JobLease(7, 2), "w"));
        Assert.Equal("handed_back", (string?)attempt.GetTagItem("conveyor.outcome"));
        var names = Enum.GetValues<OutcomeReason>().Select(r => r.ToName()).ToList();
        Assert.Equal(names.Count, names.Distinct().Count());
        Assert.All(names, n => Assert.Matches("^[a-z]+(_[a-z]+)*$", n));
        Assert.Contains("timed_out", names);
    }

    public void Dispose()
    {
        _listener.Dispose();
        _tracing.Dispose();
    }
}
