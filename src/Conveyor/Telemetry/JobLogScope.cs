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
    // Built when a logger provider first reads the scope, not for every attempt: most attempts log nothing, and the values
    // (boxed ids, a parsed trace id) were among the larger items of a no-op drain's allocation profile. Two threads reading
    // at once may both build them; either array is the same values.
    private KeyValuePair<string, object?>[]? _values;

    private KeyValuePair<string, object?>[] Values => _values ??= Build();

    private KeyValuePair<string, object?>[] Build() =>
    [
        new("JobId", job.Id),
        new("Kind", job.Kind),
        new("Queue", job.Queue),
        new("Attempt", job.Attempt),
        new("WorkerId", workerId),
        new("TraceId", span?.TraceId.ToHexString()
            ?? (ActivityContext.TryParse(job.TraceParent, null, out var stored) ? stored.TraceId.ToHexString() : null)),
    ];

    public KeyValuePair<string, object?> this[int index] => Values[index];

    public int Count => Values.Length;

    public IEnumerator<KeyValuePair<string, object?>> GetEnumerator() => ((IEnumerable<KeyValuePair<string, object?>>)Values).GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    public override string ToString() => $"job {job.Id} ({job.Kind}, attempt {job.Attempt}) on {workerId}";
}
