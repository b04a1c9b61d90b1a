namespace Conveyor.Storage.Relational;

/// <summary>
/// What an administrative state change means, from the job's state before and after the store's statement (which
/// itself changes only what may change). Written once here, so no store decides it again.
/// </summary>
internal static class AdminResults
{
    public static JobCancelResult Cancel(JobState? before, JobState? after) => before switch
    {
        null => new JobCancelResult(JobCancelOutcome.NotFound, null),
        JobState.Waiting or JobState.Scheduled or JobState.Queued => new JobCancelResult(JobCancelOutcome.Cancelled, after),
        JobState.Running => new JobCancelResult(JobCancelOutcome.CancelRequested, after),
        _ => new JobCancelResult(JobCancelOutcome.AlreadyFinished, after),
    };

    public static JobRetryResult Retry(JobState? before, JobState? after) => before switch
    {
        null => new JobRetryResult(JobRetryOutcome.NotFound, null),
        JobState.Failed or JobState.Cancelled => new JobRetryResult(JobRetryOutcome.Retried, after),
        _ => new JobRetryResult(JobRetryOutcome.NotRetryable, after),
    };
}
