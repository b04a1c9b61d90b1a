using System.Text.Json;

namespace Conveyor;

/// <summary>What a failed (or cancelled, or deleted) dependency does to the job that waits on it.</summary>
public enum DependencyFailure
{
    /// <summary>The waiting job fails at once, without running (the default).</summary>
    Fail,
    /// <summary>The waiting job runs anyway once every dependency has ended.</summary>
    Ignore,
}

/// <summary>
/// One job another waits for (<see cref="EnqueueOptions.DependsOn"/>): an existing job's id, or the <see cref="EnqueueOptions.Ref"/>
/// of another request in the same call (<see cref="IJobClient.EnqueueManyAsync"/>, <see cref="IJobClient.EnqueueBatchAsync(IReadOnlyList{JobRequest}, string?, CancellationToken)"/>).
/// A <see cref="long"/> converts to one: <c>DependsOn = [resizeId, scanId]</c>.
/// </summary>
public sealed record JobDependency
{
    private JobDependency(long? jobId, string? reference, DependencyFailure onFailure)
    {
        JobId = jobId;
        Ref = reference;
        OnFailure = onFailure;
    }

    /// <summary>The existing job waited for, or null when <see cref="Ref"/> names a request of the same call.</summary>
    public long? JobId { get; }

    /// <summary>The <see cref="EnqueueOptions.Ref"/> of a request in the same call, or null when <see cref="JobId"/> is set.</summary>
    public string? Ref { get; }

    /// <summary>What this dependency's failure does to the waiting job.</summary>
    public DependencyFailure OnFailure { get; init; }

    /// <summary>Waits for the job <paramref name="jobId"/>.</summary>
    public static JobDependency On(long jobId, DependencyFailure onFailure = DependencyFailure.Fail) => new(jobId, null, onFailure);

    /// <summary>Waits for the request of the same call whose <see cref="EnqueueOptions.Ref"/> is <paramref name="reference"/>.</summary>
    public static JobDependency OnRef(string reference, DependencyFailure onFailure = DependencyFailure.Fail) =>
        new(null, string.IsNullOrWhiteSpace(reference) ? throw new ArgumentException("A dependency's ref must not be empty.", nameof(reference)) : reference, onFailure);

    /// <summary>Waits for the job <paramref name="jobId"/>, failing if it fails.</summary>
    public static implicit operator JobDependency(long jobId) => On(jobId);
}

/// <summary>A dependency of a job as it stands: what the job waited for, how it ended, and what it returned.</summary>
/// <param name="JobId">The dependency's id.</param>
/// <param name="Kind">Its kind (null when it was deleted).</param>
/// <param name="State">Its state (null when it was deleted).</param>
/// <param name="Result">What its handler returned, when it completed with a value.</param>
/// <param name="OnFailure">What its failure does to the waiting job.</param>
public sealed record DependencyResult(long JobId, string? Kind, JobState? State, JsonElement? Result, DependencyFailure OnFailure)
{
    /// <summary>The result as <typeparamref name="T"/> (default when there is none).</summary>
    public T? ResultAs<T>() => Result is { } result ? result.Deserialize<T>(ConveyorJson.Options) : default;
}
