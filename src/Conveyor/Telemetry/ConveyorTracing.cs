using System.Diagnostics;
using Conveyor.Storage;

namespace Conveyor.Telemetry;

/// <summary>
/// Conveyor's spans (source <see cref="ConveyorDiagnostics.ActivitySourceName"/>), named and tagged after OpenTelemetry's
/// messaging conventions: a producer span per enqueue call, a consumer span per attempt. The enqueuing code's W3C trace
/// context is stored with each job, so the attempt continues that trace on any machine, days later: as a child (the
/// default), or, for the queues in <see cref="ConveyorOptions.TraceLinkQueues"/>, as a new trace linked to it (a long delay
/// would otherwise stretch the first trace over days).
/// </summary>
internal sealed class ConveyorTracing : IDisposable
{
    public ActivitySource Source { get; } = new(ConveyorDiagnostics.ActivitySourceName);

    /// <summary>
    /// A producer span for one enqueue call (null when nobody listens): a child of the ambient span, or else of the trace
    /// context the caller gave (an HTTP request's <c>traceparent</c>), so that caller, enqueue and attempt form one trace.
    /// </summary>
    public Activity? StartEnqueue(IReadOnlyList<JobInsertRow> rows)
    {
        var queues = rows.Select(r => r.Queue).Distinct(StringComparer.Ordinal).ToList();
        var name = queues.Count == 1 ? $"send {queues[0]}" : "send";
        var activity = Activity.Current is null && ActivityContext.TryParse(rows[0].TraceParent, null, isRemote: true, out var given)
            ? Source.StartActivity(name, ActivityKind.Producer, given)
            : Source.StartActivity(name, ActivityKind.Producer);
        if (activity is { IsAllDataRequested: true })
        {
            activity.SetTag("messaging.system", "conveyor");
            activity.SetTag("messaging.operation.type", "send");
            if (queues.Count == 1)
                activity.SetTag("messaging.destination.name", queues[0]);
            if (rows.Count > 1)
                activity.SetTag("messaging.batch.message_count", rows.Count);
        }
        return activity;
    }

    /// <summary>The trace context a job stores: the producer span's, else the ambient one's (W3C only), else none.</summary>
    public static string? TraceParentOf(Activity? producer) =>
        (producer ?? Activity.Current) is { IdFormat: ActivityIdFormat.W3C, Id: { } id } ? id : null;

    /// <summary>A consumer span for one attempt, continuing (or linked to) the trace its job stored; null when nobody listens.</summary>
    public Activity? StartAttempt(ClaimedJob job, bool link)
    {
        var hasParent = ActivityContext.TryParse(job.TraceParent, null, isRemote: true, out var parent);
        // The attempt starts its own trace unless it continues the stored one: never the worker loop's ambient activity.
        var ambient = Activity.Current;
        Activity.Current = null;
        try
        {
            var name = $"process {job.Queue}";
            var activity = hasParent && !link
                ? Source.StartActivity(name, ActivityKind.Consumer, parent)
                : Source.StartActivity(ActivityKind.Consumer, default, links: hasParent ? [new ActivityLink(parent)] : null, name: name);
            if (activity is { IsAllDataRequested: true })
            {
                activity.SetTag("messaging.system", "conveyor");
                activity.SetTag("messaging.operation.type", "process");
                activity.SetTag("messaging.destination.name", job.Queue);
                activity.SetTag("messaging.message.id", job.Id.ToString(System.Globalization.CultureInfo.InvariantCulture));
                activity.SetTag("conveyor.job.kind", job.Kind);
                activity.SetTag("conveyor.job.attempt", job.Attempt);
            }
            return activity ?? Restore(ambient);
        }
        catch
        {
            Activity.Current = ambient;
            throw;
        }
    }

    private static Activity? Restore(Activity? ambient)
    {
        Activity.Current = ambient;
        return null;
    }

    /// <summary>Ends an attempt's span with its outcome (an error status unless it completed, snoozed or was handed back).</summary>
    public static void End(Activity? activity, AttemptOutcome outcome)
    {
        if (activity is null)
            return;
        activity.SetTag("conveyor.outcome", outcome.Reason.ToName());
        if (outcome.Reason is not (OutcomeReason.Completed or OutcomeReason.Snoozed or OutcomeReason.HandedBack))
            activity.SetStatus(ActivityStatusCode.Error, outcome.Error?.Message);
        activity.Dispose();
    }

    public void Dispose() => Source.Dispose();
}
