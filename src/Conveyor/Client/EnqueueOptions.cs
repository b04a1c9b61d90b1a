namespace Conveyor;

/// <summary>How and when one job runs. Every field is optional; the kind's and the worker's defaults fill the rest.</summary>
public sealed record EnqueueOptions
{
    /// <summary>The queue to wait in. Default: the kind's queue, else "default".</summary>
    public string? Queue { get; init; }

    /// <summary>Higher runs first within a queue (-1000 to 1000). Default 0.</summary>
    public int? Priority { get; init; }

    /// <summary>Attempts before the job is failed. Default: the kind's, else 10.</summary>
    public int? MaxAttempts { get; init; }

    /// <summary>Earliest start. Mutually exclusive with <see cref="Delay"/>.</summary>
    public DateTimeOffset? RunAt { get; init; }

    /// <summary>Start no earlier than this long from now.</summary>
    public TimeSpan? Delay { get; init; }

    /// <summary>While a job with this key is not finished, enqueueing another returns the existing one.</summary>
    public string? UniqueKey { get; init; }

    /// <summary>Groups jobs for per-key limits.</summary>
    public string? ConcurrencyKey { get; init; }
    /// <summary>The batch the job belongs to.</summary>
    public string? BatchId { get; init; }
    /// <summary>Free labels (each 1 to 100 characters).</summary>
    public IReadOnlyList<string>? Tags { get; init; }

    /// <summary>Per-job attempt timeout, overriding the kind's.</summary>
    public TimeSpan? Timeout { get; init; }

    /// <summary>
    /// Jobs this one waits for: it is <see cref="JobState.Waiting"/> until every one has ended, then queued (or, by default,
    /// failed at once when one fails, is cancelled or is deleted: <see cref="JobDependency.OnFailure"/>). Existing job ids, or
    /// the <see cref="Ref"/> of another request in the same call; the graph may be any acyclic one (a cycle is refused).
    /// The handler reads their results with <c>JobContext.DependencyResultsAsync()</c>.
    /// </summary>
    public IReadOnlyList<JobDependency>? DependsOn { get; init; }

    /// <summary>A name for this request that other requests of the same call use in <see cref="DependsOn"/> before ids exist.</summary>
    public string? Ref { get; init; }

    /// <summary>
    /// The W3C <c>traceparent</c> its attempts continue (default: the enqueue's own span, or the ambient
    /// <see cref="System.Diagnostics.Activity.Current"/>): a trace that began elsewhere (an HTTP caller, a trigger) goes on in the worker.
    /// </summary>
    public string? TraceParent { get; init; }

    /// <summary>Its share in its batch's aggregate progress (default 1; a 2 GB file can weigh more than a 2 KB one).</summary>
    public double? Weight { get; init; }
}

/// <summary>An untyped enqueue: a kind string and its args as JSON text (the HTTP API and CLI use this).</summary>
/// <param name="Kind">Which handler runs it.</param>
/// <param name="ArgsJson">Its arguments as JSON (null: <c>{}</c>).</param>
/// <param name="Options">How and when it runs.</param>
public sealed record JobRequest(string Kind, string? ArgsJson = null, EnqueueOptions? Options = null);

/// <summary>What an enqueue did.</summary>
/// <param name="Id">The new job, or the live holder of its unique key.</param>
/// <param name="Duplicate">True when the unique key was held by a live job; <paramref name="Id"/> is that job.</param>
public readonly record struct EnqueueResult(long Id, bool Duplicate);
