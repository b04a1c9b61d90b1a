using Conveyor.Storage;
using Microsoft.Extensions.Options;

namespace Conveyor.Execution;

/// <summary>
/// Whether a failed attempt runs again, and after how long: the kind's back-off (else the worker's) while attempts
/// remain. The one place this is decided, for the executor (a handler failed) and the rescuer (a worker died).
/// </summary>
internal sealed class RetryPolicy(JobKindRegistry kinds, IOptions<ConveyorOptions> options)
{
    private readonly BackoffPolicy _default = options.Value.Backoff;

    /// <summary>The delay before the next attempt, or null when <paramref name="attempt"/> was the last one.</summary>
    public TimeSpan? NextDelay(string kind, int attempt, int maxAttempts, TimeSpan? requested = null)
    {
        if (attempt >= maxAttempts)
            return null;
        if (requested is { } delay)
            return delay;
        var backoff = kinds.TryGet(kind, out var registration) ? registration.Options.Backoff ?? _default : _default;
        return backoff.DelayFor(attempt, Random.Shared);
    }

    /// <summary>A failed attempt: retried after the back-off while attempts remain (and <paramref name="retryable"/>), else failed.</summary>
    public AttemptOutcome Failed(ClaimedJob job, string workerId, JobError error, bool retryable, OutcomeReason reason = OutcomeReason.Retried, TimeSpan? requested = null) =>
        retryable && NextDelay(job.Kind, job.Attempt, job.MaxAttempts, requested) is { } delay
            ? AttemptOutcome.Retried(job.Lease, workerId, error, delay, reason)
            : AttemptOutcome.Failed(job.Lease, workerId, error, reason == OutcomeReason.Retried ? OutcomeReason.Failed : reason);

    /// <summary>The job of a worker that stopped heartbeating.</summary>
    public AttemptOutcome Rescued(ExpiredJob job, JobError error) =>
        AttemptOutcome.Rescued(new JobLease(job.Id, job.Attempt), job.WorkerId, error, NextDelay(job.Kind, job.Attempt, job.MaxAttempts));
}
