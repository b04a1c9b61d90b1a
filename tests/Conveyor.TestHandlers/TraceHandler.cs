using System.Diagnostics;

namespace Conveyor.TestHandlers;

public sealed record TraceArgs;

/// <summary><c>test.trace</c>: returns the span its attempt runs in (trace id, parent span id, links), for the trace tests.</summary>
[JobKind("test.trace")]
public sealed class TraceHandler : IJobHandler<TraceArgs>
{
    public Task<JobResult> HandleAsync(JobContext<TraceArgs> job, CancellationToken ct)
    {
        var span = Activity.Current;
        return Task.FromResult(JobResult.Completed(new
        {
            traceId = span?.TraceId.ToHexString(),
            parentSpanId = span?.ParentSpanId.ToHexString(),
            kind = span?.Kind.ToString(),
            source = span?.Source.Name,
            links = span?.Links.Select(l => l.Context.TraceId.ToHexString()).ToArray() ?? [],
        }));
    }
}
