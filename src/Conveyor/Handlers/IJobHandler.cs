namespace Conveyor;

/// <summary>
/// Runs one kind of job. A handler ends an attempt with a value (<see cref="JobResult"/>: completed with a
/// result, retry, snooze, cancel, discard) or by throwing: any exception fails the attempt and is retried
/// with back-off; <see cref="JobPermanentFailureException"/> fails the job at once.
/// One instance is resolved per attempt from its own DI scope.
/// </summary>
public interface IJobHandler<TArgs>
{
    /// <summary>Runs one attempt; <paramref name="ct"/> fires on cancellation, timeout and shutdown.</summary>
    Task<JobResult> HandleAsync(JobContext<TArgs> job, CancellationToken ct);
}

/// <summary>Names the stable kind string of a handler, for assembly scanning (<c>conveyor work --handlers</c>).</summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = false)]
public sealed class JobKindAttribute(string kind) : Attribute
{
    /// <summary>The stable kind string.</summary>
    public string Kind { get; } = kind;
    /// <summary>Attempts before the job fails (0: the default).</summary>
    public int MaxAttempts { get; init; }
    /// <summary>Per-attempt timeout in seconds (0: none).</summary>
    public double TimeoutSeconds { get; init; }
}

/// <summary>Thrown by a handler: the job fails now, without further attempts.</summary>
public class JobPermanentFailureException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>Thrown by a handler: run the job again after <see cref="Delay"/> without charging an attempt.</summary>
public class JobSnoozeException(TimeSpan delay) : Exception($"Snoozed for {delay}.")
{
    /// <summary>How long until the job runs again.</summary>
    public TimeSpan Delay { get; } = delay;
}
