using Microsoft.Extensions.Logging;

namespace Conveyor;

/// <summary>What a handler knows about the attempt it runs, and how it reports progress.</summary>
public sealed class JobContext<TArgs>
{
    private readonly IProgressSink _progress;
    private readonly DependencyReader _dependencies;

    internal JobContext(TArgs args, JobAttemptInfo info, ILogger logger, IProgressSink progress, DependencyReader dependencies, CancellationToken cancellationToken)
    {
        Args = args;
        Info = info;
        Logger = logger;
        _progress = progress;
        _dependencies = dependencies;
        CancellationToken = cancellationToken;
    }

    /// <summary>
    /// The jobs this one waited for (<see cref="EnqueueOptions.DependsOn"/>), in id order, each with its state and result
    /// (read from the store on each call; empty when it had none). One with <see cref="DependencyFailure.Ignore"/> may have failed.
    /// </summary>
    public Task<IReadOnlyList<DependencyResult>> DependencyResultsAsync() => _dependencies(JobId, CancellationToken);

    /// <summary>The job's arguments.</summary>
    public TArgs Args { get; }
    /// <summary>The identity of this attempt.</summary>
    public JobAttemptInfo Info { get; }
    /// <summary>The job's id: key side effects by it, since a job may run more than once.</summary>
    public long JobId => Info.JobId;
    /// <summary>The job's kind.</summary>
    public string Kind => Info.Kind;
    /// <summary>The job's queue.</summary>
    public string Queue => Info.Queue;
    /// <summary>1 for the first attempt.</summary>
    public int Attempt => Info.Attempt;
    /// <summary>The attempt budget.</summary>
    public int MaxAttempts => Info.MaxAttempts;
    /// <summary>The worker process running this attempt.</summary>
    public string WorkerId => Info.WorkerId;
    /// <summary>A logger for this kind.</summary>
    public ILogger Logger { get; }

    /// <summary>Cancelled on job cancellation, timeout, or worker shutdown (the same token the handler receives).</summary>
    public CancellationToken CancellationToken { get; }

    /// <summary>
    /// Reports progress. Writes are throttled (a few per second per job) and the last value always lands
    /// with the outcome. When <paramref name="percent"/> is null and both counters are given, the percent
    /// is derived from them.
    /// </summary>
    public ValueTask ReportProgressAsync(int? percent, string? stage = null, long? done = null, long? total = null)
    {
        if (percent is null && done is not null && total is > 0)
            percent = (int)Math.Clamp(done.Value * 100 / total.Value, 0, 100);
        else if (percent is not null)
            percent = Math.Clamp(percent.Value, 0, 100);
        return _progress.ReportAsync(new JobProgress(percent, stage, done, total));
    }
}

/// <summary>The identity of one attempt.</summary>
/// <param name="JobId">The job.</param>
/// <param name="Kind">Its kind.</param>
/// <param name="Queue">Its queue.</param>
/// <param name="Attempt">This attempt, 1-based.</param>
/// <param name="MaxAttempts">The attempt budget.</param>
/// <param name="CreatedAt">When it was enqueued.</param>
/// <param name="BatchId">Its batch.</param>
/// <param name="WorkerId">The worker running this attempt.</param>
public sealed record JobAttemptInfo(long JobId, string Kind, string Queue, int Attempt, int MaxAttempts, DateTimeOffset CreatedAt, string? BatchId, string WorkerId);

/// <summary>Reads a job's dependencies from the store (the handler's <c>DependencyResultsAsync</c>).</summary>
internal delegate Task<IReadOnlyList<DependencyResult>> DependencyReader(long jobId, CancellationToken ct);

internal interface IProgressSink
{
    ValueTask ReportAsync(JobProgress progress);
}
