using System.Collections.Concurrent;
using Conveyor.Storage;

namespace Conveyor.Execution;

/// <summary>The jobs this process runs now; the producer's slot count and the heartbeat's lease list come from here.</summary>
internal sealed class RunningJobs
{
    private readonly ConcurrentDictionary<long, RunningJob> _jobs = new();
    private int _count;

    public int Count => Volatile.Read(ref _count);

    /// <summary>Set each time a slot frees.</summary>
    public WakeSignal SlotFreed { get; } = new();

    /// <summary>Reserves slots before a claim so that the count never exceeds concurrency.</summary>
    public void Reserve(int slots) => Interlocked.Add(ref _count, slots);

    public void Release(int slots)
    {
        Interlocked.Add(ref _count, -slots);
        SlotFreed.Set();
    }

    public void Add(RunningJob job) => _jobs[job.Job.Id] = job;

    /// <summary>Removes the job and frees its slot.</summary>
    public void Remove(RunningJob job)
    {
        if (_jobs.TryRemove(new KeyValuePair<long, RunningJob>(job.Job.Id, job)))
            Release(1);
    }

    public bool TryGet(long id, out RunningJob job) => _jobs.TryGetValue(id, out job!);

    public IReadOnlyList<RunningJob> Snapshot() => [.. _jobs.Values];

    public IReadOnlyList<JobLease> Leases() => [.. _jobs.Values.Select(j => j.Lease)];
}
