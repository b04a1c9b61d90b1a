using Conveyor.Storage;

namespace Conveyor.Tests.Engine;

/// <summary>The in-memory roles behind the full store contract, for tests that wire the engine through AddConveyor.</summary>
internal sealed class InMemoryConveyorStore(InMemoryJobStore jobs) : IConveyorStore
{
    private readonly LocalNotifier _notifier = new();

    public string Description => "in-memory (test)";
    public IJobNotifier Notifier => _notifier;
    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
    public Task MigrateAsync(CancellationToken ct) => Task.CompletedTask;
    public Task<IReadOnlyList<JobInsertResult>> JobInsertManyAsync(JobInsertManyParams p, CancellationToken ct) => jobs.JobInsertManyAsync(p, ct);
    public Task<IReadOnlyList<ClaimedJob>> JobClaimAsync(JobClaimParams p, CancellationToken ct) => jobs.JobClaimAsync(p, ct);
    public Task<JobHeartbeatResult> JobHeartbeatAsync(JobHeartbeatParams p, CancellationToken ct) => jobs.JobHeartbeatAsync(p, ct);
    public Task<bool> JobProgressAsync(JobProgressParams p, CancellationToken ct) => jobs.JobProgressAsync(p, ct);
    public Task<IReadOnlyList<AppliedOutcome>> JobApplyOutcomesAsync(JobApplyOutcomesParams p, CancellationToken ct) => jobs.JobApplyOutcomesAsync(p, ct);
    public Task<IReadOnlyList<ExpiredJob>> JobListExpiredAsync(JobExpiredParams p, CancellationToken ct) => jobs.JobListExpiredAsync(p, ct);
    public Task<int> JobPromoteScheduledAsync(JobPromoteParams p, CancellationToken ct) => jobs.JobPromoteScheduledAsync(p, ct);
    public Task<int> JobPruneAsync(JobPruneParams p, CancellationToken ct) => jobs.JobPruneAsync(p, ct);
    public Task<int> WorkerPruneAsync(WorkerPruneParams p, CancellationToken ct) => jobs.WorkerPruneAsync(p, ct);
    public Task<int> JobCountsFoldAsync(CancellationToken ct) => jobs.JobCountsFoldAsync(ct);
    public Task<JobCancelResult> JobCancelAsync(JobCancelParams p, CancellationToken ct) => throw new NotSupportedException();
    public Task<JobRetryResult> JobRetryAsync(JobRetryParams p, CancellationToken ct) => throw new NotSupportedException();
    public Task<IReadOnlyList<JobBulkChange>> JobBulkAsync(JobBulkParams p, CancellationToken ct) => throw new NotSupportedException();
    public Task<bool> QueuePauseAsync(QueuePauseParams p, CancellationToken ct) => throw new NotSupportedException();
    public Task<QueueLimits> QueueLimitsAsync(QueueLimitsParams p, CancellationToken ct) => throw new NotSupportedException();
    public Task<IReadOnlyList<long>> JobIdsAsync(JobListParams p, CancellationToken ct) => throw new NotSupportedException();
    public Task<long> JobCountAsync(JobListParams p, CancellationToken ct) => throw new NotSupportedException();
    public Task<IReadOnlyList<ThroughputPoint>> ThroughputAsync(ThroughputParams p, CancellationToken ct) => throw new NotSupportedException();
    public Task<Conveyor.Scheduling.ScheduleInfo> ScheduleUpsertAsync(ScheduleUpsertParams p, CancellationToken ct) => throw new NotSupportedException();
    public Task<bool> ScheduleDeleteAsync(string name, CancellationToken ct) => throw new NotSupportedException();
    public Task<IReadOnlyList<Conveyor.Scheduling.ScheduleInfo>> ScheduleListAsync(CancellationToken ct) => Task.FromResult<IReadOnlyList<Conveyor.Scheduling.ScheduleInfo>>([]);
    public Task<bool> SchedulePauseAsync(string name, bool paused, CancellationToken ct) => throw new NotSupportedException();
    public Task<IReadOnlyList<Conveyor.Scheduling.ScheduleRun>> ScheduleRunsAsync(string name, int limit, CancellationToken ct) => throw new NotSupportedException();
    public Task<JobState?> ScheduleLastJobStateAsync(string name, CancellationToken ct) => throw new NotSupportedException();
    public Task<IReadOnlyList<Conveyor.Scheduling.ScheduleRun>> ScheduleFireAsync(ScheduleFireParams p, CancellationToken ct) => throw new NotSupportedException();
    public Task<BatchStatus?> BatchStatusAsync(string batchId, CancellationToken ct) => throw new NotSupportedException();
    public Task<IReadOnlyList<DependencyResult>> JobDependenciesAsync(long jobId, CancellationToken ct) => throw new NotSupportedException();
    public Task<bool> BatchCreateAsync(BatchCreateParams p, CancellationToken ct) => jobs.BatchCreateAsync(p, ct);
    public Task<JobChangePage> JobChangesAsync(JobChangesParams p, CancellationToken ct) => throw new NotSupportedException();
    public Task<Job?> JobGetAsync(long id, CancellationToken ct) => throw new NotSupportedException();
    public Task<IReadOnlyList<Job>> JobListAsync(JobListParams p, CancellationToken ct) => throw new NotSupportedException();
    public Task<IReadOnlyList<QueueStats>> QueueStatsAsync(QueueStatsParams p, CancellationToken ct) => throw new NotSupportedException();
    public Task WorkerUpsertAsync(WorkerUpsertParams p, CancellationToken ct) => Task.CompletedTask;
    public Task WorkerRemoveAsync(WorkerRemoveParams p, CancellationToken ct) => Task.CompletedTask;
    public Task<IReadOnlyList<WorkerRecord>> WorkerListAsync(WorkerListParams p, CancellationToken ct) => Task.FromResult<IReadOnlyList<WorkerRecord>>([]);
}
