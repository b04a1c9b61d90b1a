using System.Collections;
using System.Diagnostics;
using Conveyor.Storage;

namespace Conveyor.Telemetry;

/// <summary>
/// The logging scope of one attempt: JobId, Kind, Queue, Attempt, WorkerId and TraceId as structured values (a JSON console
/// writes them as fields; the text console as "JobId:42 ..."). The trace id is the attempt's span's, or, when nobody traces
/// in this process, the one stored with the job, so that logs still join the enqueuing trace.
/// </summary>
internal sealed class JobLogScope(ClaimedJob job, string workerId, Activity? span) : IReadOnlyList<KeyValuePair<string, object?>>
{
    private readonly KeyValuePair<string, object?>[] _values =
    [
        new("JobId", job.Id),
        new("Kind", job.Kind),
        new("Queue", job.Queue),
        new("Attempt", job.Attempt),
        new("WorkerId", workerId),
        new("TraceId", span?.TraceId.ToHexString()
            ?? (ActivityContext.TryParse(job.TraceParent, null, out var stored) ? stored.TraceId.ToHexString() : null)),
    ];

    public KeyValuePair<string, object?> this[int index] => _values[index];

    public int Count => _values.Length;

    public IEnumerator<KeyValuePair<string, object?>> GetEnumerator() => ((IEnumerable<KeyValuePair<string, object?>>)_values).GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    public override string ToString() => $"job {job.Id} ({job.Kind}, attempt {job.Attempt}) on {workerId}";
}
