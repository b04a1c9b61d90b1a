using System.Collections.Concurrent;
using Conveyor.Storage;

namespace Conveyor.Execution;

/// <summary>
/// The attempts this process runs now, keyed by lease token (job id, attempt): a job this worker lost and then
/// claimed again is two entries, so the stale one's removal still frees its slot. The producer's slot count and
/// the heartbeat's lease list come from here.
/// </summary>
internal sealed class RunningJobs
{
    private readonly ConcurrentDictionary<JobLease, RunningJob> _jobs = new();
    private int _count;

    /// <summary>Slots taken: running attempts plus slots reserved for buffered jobs being started.</summary>
    public int Count => Volatile.Read(ref _count);

    /// <summary>Set each time a slot frees.</summary>
    public WakeSignal SlotFreed { get; } = new();

    /// <summary>Reserves slots without checking the concurrency (tests start attempts this way; the producer uses <see cref="TryReserveOne"/>).</summary>
    public void Reserve(int slots) => Interlocked.Add(ref _count, slots);

    /// <summary>Reserves one slot if fewer than <paramref name="concurrency"/> are taken.</summary>
    public bool TryReserveOne(int concurrency)
    {
        var count = Volatile.Read(ref _count);
        while (count < concurrency)
        {
            var seen = Interlocked.CompareExchange(ref _count, count + 1, count);
            if (seen == count)
                return true;
            count = seen;
        }
        return false;
    }

    public void Release(int slots)
    {
        Interlocked.Add(ref _count, -slots);
        SlotFreed.Set();
    }

    /// <summary>Tracks an attempt in a slot reserved for it.</summary>
    public void Add(RunningJob job)
    {
        if (!_jobs.TryAdd(job.Job.Lease, job))
            throw new InvalidOperationException($"Job {job.Job.Id} attempt {job.Job.Attempt} is already running here.");
    }

    /// <summary>Stops tracking the attempt and frees its slot.</summary>
    public void Remove(RunningJob job)
    {
        if (_jobs.TryRemove(new KeyValuePair<JobLease, RunningJob>(job.Job.Lease, job)))
            Release(1);
    }

    public bool TryGet(JobLease lease, out RunningJob job) => _jobs.TryGetValue(lease, out job!);

    /// <summary>Every attempt of a job running here (normally one; two while a lost attempt ignores its cancellation).</summary>
    public IEnumerable<RunningJob> OfJob(long id) => _jobs.Values.Where(j => j.Job.Id == id);

    public IReadOnlyList<RunningJob> Snapshot() => [.. _jobs.Values];

    public IReadOnlyList<JobLease> Leases() => [.. _jobs.Keys];
}
