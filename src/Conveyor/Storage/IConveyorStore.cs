namespace Conveyor.Storage;

/// <summary>
/// The hot path: what a worker (in this process, or an external one speaking the HTTP worker protocol) needs to
/// move a job from enqueued to finished. Every write on behalf of a worker is fenced by its lease token
/// (id, attempt, worker id): a late write from a worker whose job was rescued and claimed again changes nothing.
/// </summary>
public interface IJobExecutionStore
{
    /// <summary>Inserts many jobs in one round trip; a job whose unique key is held by a live job is not inserted and the holder's id is returned.</summary>
    Task<IReadOnlyList<JobInsertResult>> JobInsertManyAsync(JobInsertManyParams p, CancellationToken ct);

    /// <summary>
    /// Records a batch's callbacks (false when the batch id is taken); they are enqueued exactly once, in the transaction
    /// (an outcome or a cancel) that ends the batch's last job.
    /// </summary>
    Task<bool> BatchCreateAsync(BatchCreateParams p, CancellationToken ct);

    /// <summary>
    /// Atomically moves up to <see cref="JobClaimParams.Max"/> ready jobs to running for one worker, returned in the order
    /// they should start: priority (highest first), then run-at, then id. A worker that claims ahead starts them in it.
    /// </summary>
    Task<IReadOnlyList<ClaimedJob>> JobClaimAsync(JobClaimParams p, CancellationToken ct);

    /// <summary>Extends the leases of a worker's running jobs and reports which of them were asked to cancel or were lost.</summary>
    Task<JobHeartbeatResult> JobHeartbeatAsync(JobHeartbeatParams p, CancellationToken ct);

    /// <summary>Writes a running job's progress; false when the attempt no longer holds the job.</summary>
    Task<bool> JobProgressAsync(JobProgressParams p, CancellationToken ct);

    /// <summary>Applies many attempt outcomes in one statement; returns the outcomes that were applied.</summary>
    Task<IReadOnlyList<AppliedOutcome>> JobApplyOutcomesAsync(JobApplyOutcomesParams p, CancellationToken ct);
}

/// <summary>What operators do to jobs by hand: cancel, retry, delete, act on many jobs, pause queues.</summary>
public interface IJobAdminStore
{
    /// <summary>Applies one action to many jobs, each only where the rules allow (retry: failed or cancelled; cancel: not finished;
    /// delete: not running); returns the jobs it changed.</summary>
    Task<IReadOnlyList<JobBulkChange>> JobBulkAsync(JobBulkParams p, CancellationToken ct);

    /// <summary>Pauses or resumes a queue; true when its paused state changed.</summary>
    Task<bool> QueuePauseAsync(QueuePauseParams p, CancellationToken ct);

    /// <summary>Sets a queue's limits (checked in every claim from then on, no restart); returns the limits it had before. Out-of-range limits throw <see cref="JobValidationException"/> and change nothing.</summary>
    Task<QueueLimits> QueueLimitsAsync(QueueLimitsParams p, CancellationToken ct);

    /// <summary>Cancels a waiting job at once, or asks a running one to stop; a finished job is left as it is.</summary>
    Task<JobCancelResult> JobCancelAsync(JobCancelParams p, CancellationToken ct);

    /// <summary>Puts a failed or cancelled job back in the queue, granting one more attempt when its budget is spent.</summary>
    Task<JobRetryResult> JobRetryAsync(JobRetryParams p, CancellationToken ct);
}

/// <summary>The read-only side: what the client, the HTTP API, the dashboard and the CLI show. Grows through its parameter records.</summary>
public interface IJobMonitor
{
    /// <summary>One job, or null when no job has this id.</summary>
    Task<Job?> JobGetAsync(long id, CancellationToken ct);

    /// <summary>Newest first; <see cref="JobListParams.AfterId"/> pages on (ids below it).</summary>
    Task<IReadOnlyList<Job>> JobListAsync(JobListParams p, CancellationToken ct);

    /// <summary>The ids a filter selects, newest first, for acting on all of them a page at a time.</summary>
    Task<IReadOnlyList<long>> JobIdsAsync(JobListParams p, CancellationToken ct);

    /// <summary>How many jobs a filter selects (a count over the jobs: for one-off totals, not for dashboards' tiles).</summary>
    Task<long> JobCountAsync(JobListParams p, CancellationToken ct);

    /// <summary>A batch's jobs by state and their aggregate progress (null when no job has this batch id).</summary>
    Task<BatchStatus?> BatchStatusAsync(string batchId, CancellationToken ct);

    /// <summary>Completed and failed jobs per minute, from counts maintained as attempts end (not a scan of the jobs); minutes without any are absent.</summary>
    Task<IReadOnlyList<ThroughputPoint>> ThroughputAsync(ThroughputParams p, CancellationToken ct);

    /// <summary>Per queue: counts by state and the age of the oldest job ready to run.</summary>
    Task<IReadOnlyList<QueueStats>> QueueStatsAsync(QueueStatsParams p, CancellationToken ct);
}

/// <summary>
/// The change feed: what server-sent events and the live dashboard stream. Every store stamps the rows a write changes
/// with a sequence in commit order (or tells, through <see cref="JobChangePage.Settled"/>, below which point no change
/// can still appear), so one reader per server process sees every change once, whichever process wrote it.
/// </summary>
public interface IJobChangeFeed
{
    /// <summary>Jobs changed after a position, oldest change first; each appears with its latest state.</summary>
    Task<JobChangePage> JobChangesAsync(JobChangesParams p, CancellationToken ct);
}

/// <summary>
/// Cron schedules and their occurrence ledger. Each tick is one ledger row keyed by (schedule, tick), written in the
/// same transaction as its job, so any number of processes may run the scheduler and each tick still has one job.
/// </summary>
public interface IScheduleStore
{
    /// <summary>Creates or redefines a schedule by name. Its next tick is kept when its cron and zone are unchanged, else set to <see cref="ScheduleUpsertParams.NextRunAt"/>.</summary>
    Task<Scheduling.ScheduleInfo> ScheduleUpsertAsync(ScheduleUpsertParams p, CancellationToken ct);

    /// <summary>Deletes a schedule and its ledger; false when there was none.</summary>
    Task<bool> ScheduleDeleteAsync(string name, CancellationToken ct);

    /// <summary>Every schedule, by name.</summary>
    Task<IReadOnlyList<Scheduling.ScheduleInfo>> ScheduleListAsync(CancellationToken ct);

    /// <summary>Pauses or resumes a schedule; false when there is none.</summary>
    Task<bool> SchedulePauseAsync(string name, bool paused, CancellationToken ct);

    /// <summary>A schedule's latest ledger rows, newest first.</summary>
    Task<IReadOnlyList<Scheduling.ScheduleRun>> ScheduleRunsAsync(string name, int limit, CancellationToken ct);

    /// <summary>The state of the job of a schedule's latest enqueued tick (null: none, or it was pruned).</summary>
    Task<JobState?> ScheduleLastJobStateAsync(string name, CancellationToken ct);

    /// <summary>
    /// Records ticks in the ledger, each with its job when it is to run, all in one transaction, and moves the schedule
    /// on to its next tick (only from <see cref="ScheduleFireParams.ExpectedNextRunAt"/>). A tick another process recorded
    /// first is left alone. Returns the ledger rows this call wrote.
    /// </summary>
    Task<IReadOnlyList<Scheduling.ScheduleRun>> ScheduleFireAsync(ScheduleFireParams p, CancellationToken ct);
}

/// <summary>
/// Jobs that wait on others. A job inserted with dependencies (<see cref="JobInsertRow.DependsOn"/>) is <c>waiting</c>; the
/// transaction that ends its last dependency (an outcome, a cancel, a delete) queues it, or fails it at once when a dependency
/// it may not ignore failed, was cancelled or was deleted, and so on down the graph. The insert refuses unknown ids.
/// </summary>
public interface IJobDependencyStore
{
    /// <summary>The dependencies of job <paramref name="jobId"/> in id order, each with its state and result (none: empty).</summary>
    Task<IReadOnlyList<DependencyResult>> JobDependenciesAsync(long jobId, CancellationToken ct);
}

/// <summary>
/// Table sources (a store that has them: PostgreSQL). Each poll is one statement that moves rows from one status to another
/// and inserts their jobs, so a crash between the two cannot happen; concurrent polls skip each other's rows.
/// </summary>
public interface ITableSourceStore
{
    /// <summary>Creates or redefines a source (validated) after checking that its table and columns exist.</summary>
    Task<Sources.TableSourceInfo> TableSourceUpsertAsync(Sources.TableSourceDefinition source, CancellationToken ct);

    /// <summary>Removes a source; false when there was none.</summary>
    Task<bool> TableSourceDeleteAsync(string name, CancellationToken ct);

    /// <summary>Every source, by name.</summary>
    Task<IReadOnlyList<Sources.TableSourceInfo>> TableSourceListAsync(CancellationToken ct);

    /// <summary>Moves up to a batch of rows and enqueues their jobs, in one statement; returns how many.</summary>
    Task<int> TableSourcePollAsync(Sources.TableSourceDefinition source, CancellationToken ct);
}

/// <summary>The small periodic jobs every node may run safely in parallel: rescue, promote, prune.</summary>
public interface IMaintenanceStore
{
    /// <summary>Running jobs whose lease expired: their worker is gone.</summary>
    Task<IReadOnlyList<ExpiredJob>> JobListExpiredAsync(JobExpiredParams p, CancellationToken ct);

    /// <summary>Moves due scheduled jobs to queued and wakes their workers (claims take due scheduled jobs anyway; this keeps the state honest).</summary>
    Task<int> JobPromoteScheduledAsync(JobPromoteParams p, CancellationToken ct);

    /// <summary>Deletes one small batch of old finished jobs; returns how many went.</summary>
    Task<int> JobPruneAsync(JobPruneParams p, CancellationToken ct);

    /// <summary>Folds the count changes that writers appended into the kept totals (queue counts, throughput); returns how many changes it folded.</summary>
    Task<int> JobCountsFoldAsync(CancellationToken ct);

    /// <summary>Deletes the records of worker processes not seen for a while (they died); returns how many.</summary>
    Task<int> WorkerPruneAsync(WorkerPruneParams p, CancellationToken ct);
}

/// <summary>Who is working: each worker process keeps its record fresh with its heartbeat and removes it on clean exit.</summary>
public interface IWorkerRegistry
{
    /// <summary>Creates or refreshes a worker's record; the store stamps last-seen (and started, on creation) with its clock.</summary>
    Task WorkerUpsertAsync(WorkerUpsertParams p, CancellationToken ct);

    /// <summary>Removes a worker's record (clean exit).</summary>
    Task WorkerRemoveAsync(WorkerRemoveParams p, CancellationToken ct);

    /// <summary>Every worker record, oldest first.</summary>
    Task<IReadOnlyList<WorkerRecord>> WorkerListAsync(WorkerListParams p, CancellationToken ct);
}

/// <summary>Creates or upgrades the store's schema.</summary>
public interface IStoreMigrator
{
    /// <summary>Applies pending migrations; throws <see cref="StoreVersionException"/> when the database is newer than this code.</summary>
    Task MigrateAsync(CancellationToken ct);
}

/// <summary>
/// One database behind the role contracts. Consumers ask dependency injection for the narrowest role they use
/// (<see cref="IJobExecutionStore"/>, <see cref="IJobAdminStore"/>, <see cref="IJobMonitor"/>, <see cref="IJobChangeFeed"/>,
/// <see cref="IScheduleStore"/>, <see cref="IJobDependencyStore"/>, <see cref="IMaintenanceStore"/>, <see cref="IWorkerRegistry"/>, <see cref="IStoreMigrator"/>, <see cref="IJobNotifier"/>).
/// </summary>
public interface IConveyorStore : IJobExecutionStore, IJobAdminStore, IJobMonitor, IJobChangeFeed, IScheduleStore, IJobDependencyStore, IMaintenanceStore, IWorkerRegistry, IStoreMigrator, IAsyncDisposable
{
    /// <summary>For banners and logs: "sqlite ./conveyor.db". Never contains a password.</summary>
    string Description { get; }

    /// <summary>The store's wake-up and control channel.</summary>
    IJobNotifier Notifier { get; }
}

/// <summary>The database schema was written by a newer Conveyor than this one.</summary>
public sealed class StoreVersionException(string message) : Exception(message);

/// <summary>The store could not be reached (file not openable, server down, authentication refused).</summary>
public sealed class StoreUnavailableException(string message, Exception? inner = null) : Exception(message, inner);
