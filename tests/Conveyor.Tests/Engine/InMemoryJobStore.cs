using Conveyor.Storage;

namespace Conveyor.Tests.Engine;

/// <summary>
/// The hot-path and maintenance roles in memory, on a given clock, with the same fencing as the SQL stores: enough
/// to test the engine's logic fast and deterministically. The SQL stores are held to the real rules by the conformance suites.
/// </summary>
internal sealed class InMemoryJobStore(TimeProvider clock) : IJobExecutionStore, IMaintenanceStore
{
    private readonly Lock _gate = new();
    private readonly Dictionary<long, Row> _rows = [];
    private long _nextId;

    public List<AttemptOutcome> Applied { get; } = [];
    public List<JobProgressParams> ProgressWrites { get; } = [];
    public int Claims { get; private set; }

    /// <summary>The most jobs one claim asked for.</summary>
    public int LargestAsk { get; private set; }

    /// <summary>Every claim's parameters, in order.</summary>
    public List<JobClaimParams> ClaimsMade { get; } = [];
    public int HeartbeatCalls { get; private set; }

    /// <summary>Throws from the next N outcome writes (a store outage).</summary>
    public int FailNextOutcomeWrites { get; set; }

    public sealed class Row
    {
        public required long Id { get; init; }
        public required string Kind { get; init; }
        public string Queue { get; init; } = "default";
        public string Args { get; init; } = "{}";
        public JobState State { get; set; } = JobState.Queued;
        public int Attempt { get; set; }
        public int MaxAttempts { get; set; } = 3;
        public DateTimeOffset RunAt { get; set; }
        public DateTimeOffset? LeaseUntil { get; set; }
        public string? WorkerId { get; set; }
        public bool CancelRequested { get; set; }
        public List<JobError> Errors { get; } = [];
        public JobProgress? Progress { get; set; }
        public string? Result { get; set; }
    }

    private DateTimeOffset Now(DateTimeOffset? now) => now ?? clock.GetUtcNow();

    public Row Add(string kind, int maxAttempts = 3, string args = "{}", string queue = "default")
    {
        lock (_gate)
        {
            var row = new Row { Id = ++_nextId, Kind = kind, MaxAttempts = maxAttempts, Args = args, Queue = queue, RunAt = clock.GetUtcNow() };
            _rows[row.Id] = row;
            return row;
        }
    }

    public Row this[long id]
    {
        get { lock (_gate) return _rows[id]; }
    }

    /// <summary>Another worker's (or a dead one's) claim of a job.</summary>
    public ClaimedJob ClaimAs(long id, string worker, TimeSpan lease)
    {
        lock (_gate)
            return Claim(_rows[id], worker, lease, clock.GetUtcNow());
    }

    private static ClaimedJob Claim(Row row, string worker, TimeSpan lease, DateTimeOffset now)
    {
        row.State = JobState.Running;
        row.Attempt++;
        row.WorkerId = worker;
        row.LeaseUntil = now + lease;
        return new ClaimedJob(row.Id, row.Queue, row.Kind, row.Args, row.Attempt, row.MaxAttempts, 0, now, null, null, row.RunAt);
    }

    private bool Holds(JobLease lease, string worker, out Row row) =>
        _rows.TryGetValue(lease.Id, out row!) && row.State == JobState.Running && row.Attempt == lease.Attempt && row.WorkerId == worker;

    public Task<IReadOnlyList<JobInsertResult>> JobInsertManyAsync(JobInsertManyParams p, CancellationToken ct)
    {
        lock (_gate)
        {
            var results = new List<JobInsertResult>();
            foreach (var job in p.Jobs)
            {
                var row = new Row { Id = ++_nextId, Kind = job.Kind, Queue = job.Queue, Args = job.Args, MaxAttempts = job.MaxAttempts, RunAt = job.RunAt ?? Now(p.Now) + (job.Delay ?? TimeSpan.Zero) };
                _rows[row.Id] = row;
                results.Add(new JobInsertResult(row.Id, false));
            }
            return Task.FromResult<IReadOnlyList<JobInsertResult>>(results);
        }
    }

    /// <summary>Every claimed job id, in claim order.</summary>
    public List<long> ClaimOrder { get; } = [];

    public Task<IReadOnlyList<ClaimedJob>> JobClaimAsync(JobClaimParams p, CancellationToken ct)
    {
        lock (_gate)
        {
            Claims++;
            LargestAsk = Math.Max(LargestAsk, p.Max);
            ClaimsMade.Add(p);
            var now = Now(p.Now);
            var ready = _rows.Values.Where(r => r.State is JobState.Queued or JobState.Scheduled && r.RunAt <= now && p.Queues.Contains(r.Queue)
                    && (p.Kinds is null || p.Kinds.Contains(r.Kind)))
                .OrderBy(r => r.RunAt).ThenBy(r => r.Id).Take(p.Max).ToList();
            ClaimOrder.AddRange(ready.Select(r => r.Id));
            return Task.FromResult<IReadOnlyList<ClaimedJob>>([.. ready.Select(r => Claim(r, p.WorkerId, p.Lease, now))]);
        }
    }

    public Task<JobHeartbeatResult> JobHeartbeatAsync(JobHeartbeatParams p, CancellationToken ct)
    {
        lock (_gate)
        {
            HeartbeatCalls++;
            var cancel = new List<JobLease>();
            var lost = new List<JobLease>();
            foreach (var lease in p.Jobs)
            {
                if (!Holds(lease, p.WorkerId, out var row))
                {
                    lost.Add(lease);
                    continue;
                }
                row.LeaseUntil = Now(p.Now) + p.Lease;
                if (row.CancelRequested)
                    cancel.Add(lease);
            }
            return Task.FromResult(new JobHeartbeatResult(cancel, lost));
        }
    }

    public Task<bool> JobProgressAsync(JobProgressParams p, CancellationToken ct)
    {
        lock (_gate)
        {
            ProgressWrites.Add(p);
            if (!Holds(new JobLease(p.Id, p.Attempt), p.WorkerId, out var row))
                return Task.FromResult(false);
            row.Progress = p.Progress;
            return Task.FromResult(true);
        }
    }

    public Task<IReadOnlyList<AppliedOutcome>> JobApplyOutcomesAsync(JobApplyOutcomesParams p, CancellationToken ct)
    {
        lock (_gate)
        {
            if (FailNextOutcomeWrites > 0)
            {
                FailNextOutcomeWrites--;
                throw new StoreUnavailableException("the store is down (test)");
            }
            var now = Now(p.Now);
            var applied = new List<AppliedOutcome>();
            foreach (var o in p.Outcomes)
            {
                if (!Holds(o.Lease, o.WorkerId, out var row) || (o.RequireExpiredLease && !(row.LeaseUntil < now)))
                    continue;
                row.State = row.CancelRequested && o.State is JobState.Scheduled or JobState.Queued ? JobState.Cancelled : o.State;
                row.Attempt -= o.RefundAttempt ? 1 : 0;
                row.Result = o.Result;
                if (o.Delay is { } delay)
                    row.RunAt = now + delay;
                row.LeaseUntil = null;
                if (!row.State.IsTerminal())
                    row.WorkerId = null;
                if (o.Error is not null)
                    row.Errors.Add(o.Error);
                if (o.Progress is not null)
                    row.Progress = o.Progress;
                Applied.Add(o);
                applied.Add(new AppliedOutcome(row.Id, row.Queue, row.State));
            }
            return Task.FromResult<IReadOnlyList<AppliedOutcome>>(applied);
        }
    }

    public Task<IReadOnlyList<ExpiredJob>> JobListExpiredAsync(JobExpiredParams p, CancellationToken ct)
    {
        lock (_gate)
        {
            var now = Now(p.Now);
            return Task.FromResult<IReadOnlyList<ExpiredJob>>([.. _rows.Values.Where(r => r.State == JobState.Running && r.LeaseUntil < now).Take(p.Limit)
                .Select(r => new ExpiredJob(r.Id, r.Attempt, r.MaxAttempts, r.WorkerId!, r.Kind))]);
        }
    }

    public Task<int> JobPromoteScheduledAsync(JobPromoteParams p, CancellationToken ct) => Task.FromResult(0);

    public Task<int> JobPruneAsync(JobPruneParams p, CancellationToken ct) => Task.FromResult(0);

    public Task<int> WorkerPruneAsync(WorkerPruneParams p, CancellationToken ct) => Task.FromResult(0);

    public Task<int> JobCountsFoldAsync(CancellationToken ct) => Task.FromResult(0);

    public Task<bool> BatchCreateAsync(BatchCreateParams p, CancellationToken ct) => throw new NotSupportedException();
}
