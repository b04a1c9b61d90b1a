using System.Text.Json;

namespace Conveyor.Testing;

/// <summary>A job the kit saw in its store, with its args read back through the real serializer.</summary>
/// <typeparam name="TArgs">The args type of the job's kind.</typeparam>
/// <param name="Id">The job.</param>
/// <param name="Kind">Its kind.</param>
/// <param name="Queue">Its queue.</param>
/// <param name="Args">Its args, as a handler would receive them.</param>
/// <param name="Job">The job as it was when the kit first saw it (read <see cref="IJobClient.GetAsync"/> for its state now).</param>
public sealed record EnqueuedJob<TArgs>(long Id, string Kind, string Queue, TArgs Args, Job Job);

/// <summary>What one <see cref="TestConveyor.DrainAsync"/> ran.</summary>
/// <param name="Attempts">Attempts run.</param>
/// <param name="Completed">Attempts that completed their job.</param>
/// <param name="NotCompleted">Attempts that ended otherwise (retried, failed, snoozed, cancelled, discarded).</param>
/// <param name="JobIds">The jobs run, in the order their attempts ran (a retried job appears once per attempt).</param>
public sealed record DrainResult(int Attempts, int Completed, int NotCompleted, IReadOnlyList<long> JobIds);

/// <summary>One handler run by <see cref="TestConveyor.RunJobAsync{THandler}"/>.</summary>
public sealed class JobRun
{
    internal JobRun(JobResult? result, string? resultJson, Exception? exception, IReadOnlyList<JobProgress> progress)
    {
        Result = result;
        ResultJson = resultJson;
        Exception = exception;
        Progress = progress;
    }

    /// <summary>What the handler returned; null when it threw.</summary>
    public JobResult? Result { get; }

    /// <summary>A completed result's value as the store would keep it (JSON text), or null.</summary>
    public string? ResultJson { get; }

    /// <summary>What the handler threw (or a result that does not serialize), or null.</summary>
    public Exception? Exception { get; }

    /// <summary>Every progress report, in order, unthrottled.</summary>
    public IReadOnlyList<JobProgress> Progress { get; }

    /// <summary>True when the handler returned <see cref="JobResult.Completed"/> and its value serialized.</summary>
    public bool Completed => Exception is null && Result?.Kind == JobResultKind.Completed;

    /// <summary>The completed result read back as <typeparamref name="T"/>, as a client reading the job would get it.</summary>
    public T? ResultAs<T>() => ResultJson is null ? default : JsonSerializer.Deserialize<T>(ResultJson, ConveyorJson.Options);
}

/// <summary>An attempt run by the kit failed by an exception; the test sees it instead of a job silently waiting for its retry.</summary>
public sealed class JobAttemptFailedException : Exception
{
    internal JobAttemptFailedException(long jobId, string kind, int attempt, string errorType, string message, Exception? inner)
        : base($"Job {jobId} ({kind}) attempt {attempt} failed: {errorType}: {message}", inner)
    {
        JobId = jobId;
        Kind = kind;
        Attempt = attempt;
        ErrorType = errorType;
    }

    /// <summary>The job.</summary>
    public long JobId { get; }
    /// <summary>Its kind.</summary>
    public string Kind { get; }
    /// <summary>The attempt that failed.</summary>
    public int Attempt { get; }
    /// <summary>The error's type (an exception's full name, or UnknownJobKind, Timeout).</summary>
    public string ErrorType { get; }
}

/// <summary>An assertion of <see cref="TestConveyor"/> did not hold (any test framework reports it as a failure).</summary>
public sealed class ConveyorAssertionException(string message) : Exception(message);
