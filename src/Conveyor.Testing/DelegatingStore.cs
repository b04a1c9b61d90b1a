using Conveyor.Storage;

namespace Conveyor.Testing;

/// <summary>A store that forwards every call to another; override a method to count calls or inject faults.</summary>
public class DelegatingStore(IConveyorStore inner) : IConveyorStore
{
    /// <summary>The store calls are forwarded to.</summary>
    protected IConveyorStore Inner { get; } = inner;

    /// <inheritdoc />
    public virtual string Description => Inner.Description;
    /// <inheritdoc />
    public virtual IJobNotifier Notifier => Inner.Notifier;
    /// <inheritdoc />
    public virtual ValueTask DisposeAsync() => Inner.DisposeAsync();
    /// <inheritdoc />
    public virtual Task MigrateAsync(CancellationToken ct) => Inner.MigrateAsync(ct);
    /// <inheritdoc />
    public virtual Task<IReadOnlyList<JobInsertResult>> JobInsertManyAsync(JobInsertManyParams p, CancellationToken ct) => Inner.JobInsertManyAsync(p, ct);
    /// <inheritdoc />
    public virtual Task<IReadOnlyList<ClaimedJob>> JobClaimAsync(JobClaimParams p, CancellationToken ct) => Inner.JobClaimAsync(p, ct);
    /// <inheritdoc />
    public virtual Task<JobHeartbeatResult> JobHeartbeatAsync(JobHeartbeatParams p, CancellationToken ct) => Inner.JobHeartbeatAsync(p, ct);
    /// <inheritdoc />
    public virtual Task<bool> JobProgressAsync(JobProgressParams p, CancellationToken ct) => Inner.JobProgressAsync(p, ct);
    /// <inheritdoc />
    public virtual Task<IReadOnlyList<AppliedOutcome>> JobApplyOutcomesAsync(JobApplyOutcomesParams p, CancellationToken ct) => Inner.JobApplyOutcomesAsync(p, ct);
    /// <inheritdoc />
    public virtual Task<JobCancelResult> JobCancelAsync(JobCancelParams p, CancellationToken ct) => Inner.JobCancelAsync(p, ct);
    /// <inheritdoc />
    public virtual Task<JobRetryResult> JobRetryAsync(JobRetryParams p, CancellationToken ct) => Inner.JobRetryAsync(p, ct);
    /// <inheritdoc />
    public virtual Task<IReadOnlyList<JobBulkChange>> JobBulkAsync(JobBulkParams p, CancellationToken ct) => Inner.JobBulkAsync(p, ct);
    /// <inheritdoc />
    public virtual Task<bool> QueuePauseAsync(QueuePauseParams p, CancellationToken ct) => Inner.QueuePauseAsync(p, ct);
    /// <inheritdoc />
    public virtual Task<QueueLimits> QueueLimitsAsync(QueueLimitsParams p, CancellationToken ct) => Inner.QueueLimitsAsync(p, ct);
    /// <inheritdoc />
    public virtual Task<IReadOnlyList<long>> JobIdsAsync(JobListParams p, CancellationToken ct) => Inner.JobIdsAsync(p, ct);
    /// <inheritdoc />
    public virtual Task<long> JobCountAsync(JobListParams p, CancellationToken ct) => Inner.JobCountAsync(p, ct);
    /// <inheritdoc />
    public virtual Task<IReadOnlyList<ThroughputPoint>> ThroughputAsync(ThroughputParams p, CancellationToken ct) => Inner.ThroughputAsync(p, ct);
    /// <inheritdoc />
    public virtual Task<int> JobCountsFoldAsync(CancellationToken ct) => Inner.JobCountsFoldAsync(ct);
    /// <inheritdoc />
    public virtual Task<Conveyor.Scheduling.ScheduleInfo> ScheduleUpsertAsync(ScheduleUpsertParams p, CancellationToken ct) => Inner.ScheduleUpsertAsync(p, ct);
    /// <inheritdoc />
    public virtual Task<bool> ScheduleDeleteAsync(string name, CancellationToken ct) => Inner.ScheduleDeleteAsync(name, ct);
    /// <inheritdoc />
    public virtual Task<IReadOnlyList<Conveyor.Scheduling.ScheduleInfo>> ScheduleListAsync(CancellationToken ct) => Inner.ScheduleListAsync(ct);
    /// <inheritdoc />
    public virtual Task<bool> SchedulePauseAsync(string name, bool paused, CancellationToken ct) => Inner.SchedulePauseAsync(name, paused, ct);
    /// <inheritdoc />
    public virtual Task<IReadOnlyList<Conveyor.Scheduling.ScheduleRun>> ScheduleRunsAsync(string name, int limit, CancellationToken ct) => Inner.ScheduleRunsAsync(name, limit, ct);
    /// <inheritdoc />
    public virtual Task<JobState?> ScheduleLastJobStateAsync(string name, CancellationToken ct) => Inner.ScheduleLastJobStateAsync(name, ct);
    /// <inheritdoc />
    public virtual Task<IReadOnlyList<Conveyor.Scheduling.ScheduleRun>> ScheduleFireAsync(ScheduleFireParams p, CancellationToken ct) => Inner.ScheduleFireAsync(p, ct);
    /// <inheritdoc />
    public virtual Task<BatchStatus?> BatchStatusAsync(string batchId, CancellationToken ct) => Inner.BatchStatusAsync(batchId, ct);
    /// <inheritdoc />
    public virtual Task<bool> BatchCreateAsync(BatchCreateParams p, CancellationToken ct) => Inner.BatchCreateAsync(p, ct);
    /// <inheritdoc />
    public virtual Task<IReadOnlyList<DependencyResult>> JobDependenciesAsync(long jobId, CancellationToken ct) => Inner.JobDependenciesAsync(jobId, ct);
    /// <inheritdoc />
    public virtual Task<JobChangePage> JobChangesAsync(JobChangesParams p, CancellationToken ct) => Inner.JobChangesAsync(p, ct);
    /// <inheritdoc />
    public virtual Task<Job?> JobGetAsync(long id, CancellationToken ct) => Inner.JobGetAsync(id, ct);
    /// <inheritdoc />
    public virtual Task<IReadOnlyList<Job>> JobListAsync(JobListParams p, CancellationToken ct) => Inner.JobListAsync(p, ct);
    /// <inheritdoc />
    public virtual Task<IReadOnlyList<QueueStats>> QueueStatsAsync(QueueStatsParams p, CancellationToken ct) => Inner.QueueStatsAsync(p, ct);
    /// <inheritdoc />
    public virtual Task<IReadOnlyList<ExpiredJob>> JobListExpiredAsync(JobExpiredParams p, CancellationToken ct) => Inner.JobListExpiredAsync(p, ct);
    /// <inheritdoc />
    public virtual Task<int> JobPromoteScheduledAsync(JobPromoteParams p, CancellationToken ct) => Inner.JobPromoteScheduledAsync(p, ct);
    /// <inheritdoc />
    public virtual Task<int> JobPruneAsync(JobPruneParams p, CancellationToken ct) => Inner.JobPruneAsync(p, ct);
    /// <inheritdoc />
    public virtual Task<int> WorkerPruneAsync(WorkerPruneParams p, CancellationToken ct) => Inner.WorkerPruneAsync(p, ct);
    /// <inheritdoc />
    public virtual Task WorkerUpsertAsync(WorkerUpsertParams p, CancellationToken ct) => Inner.WorkerUpsertAsync(p, ct);
    /// <inheritdoc />
    public virtual Task WorkerRemoveAsync(WorkerRemoveParams p, CancellationToken ct) => Inner.WorkerRemoveAsync(p, ct);
    /// <inheritdoc />
    public virtual Task<IReadOnlyList<WorkerRecord>> WorkerListAsync(WorkerListParams p, CancellationToken ct) => Inner.WorkerListAsync(p, ct);
}
