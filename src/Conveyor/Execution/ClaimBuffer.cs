using Conveyor.Storage;

namespace Conveyor.Execution;

/// <summary>
/// Jobs this worker claimed ahead of its free slots, in claim order, waiting for a slot. They are leased to this worker like
/// running jobs (the heartbeat renews their leases, a cancel or a lost lease takes them out, shutdown hands them back without
/// charging an attempt), so a claim can fetch many jobs in one commit and slots refill from memory while the next claim is in
/// flight.
/// <para>
/// How many: as many as this worker starts in <see cref="Horizon"/> at its recent start rate, at most the configured
/// <see cref="ConveyorOptions.ClaimAhead"/>. Long jobs start rarely, so a worker running them holds (almost) nothing back
/// from the others; no-op jobs start thousands a second, so it claims hundreds at a time.
/// </para>
/// </summary>
internal sealed class ClaimBuffer(int max, TimeProvider time)
{
    /// <summary>
    /// Jobs a worker expects to start within this time are claimed ahead. A claim on a durable PostgreSQL takes a commit (about
    /// 2 ms on the benchmark machine) and up to tens of milliseconds under load; refilling at half the target keeps the buffer
    /// from running dry when the claim takes up to half the horizon.
    /// </summary>
    public static readonly TimeSpan Horizon = TimeSpan.FromMilliseconds(100);

    private static readonly TimeSpan RateWindow = TimeSpan.FromMilliseconds(50);

    private readonly Lock _gate = new();
    private readonly LinkedList<ClaimedJob> _jobs = new();
    private readonly Dictionary<JobLease, LinkedListNode<ClaimedJob>> _byLease = [];
    private long _started;
    private long _sampledStarted;
    private long _sampledAt = time.GetTimestamp();
    private double _rate;

    public int Max { get; } = max;

    public int Count
    {
        get
        {
            lock (_gate)
                return _jobs.Count;
        }
    }

    /// <summary>How many jobs to hold ahead of the free slots now: the recent start rate times <see cref="Horizon"/>, at most <see cref="Max"/>.</summary>
    public int Target
    {
        get
        {
            if (Max == 0)
                return 0;
            lock (_gate)
            {
                var elapsed = time.GetElapsedTime(_sampledAt);
                if (elapsed >= RateWindow)
                {
                    var sample = (_started - _sampledStarted) / elapsed.TotalSeconds;
                    // Smoothed, but quick to follow: a burst after an idle spell reaches most of its rate within a few windows.
                    _rate = _rate == 0 ? sample : 0.5 * _rate + 0.5 * sample;
                    _sampledStarted = _started;
                    _sampledAt = time.GetTimestamp();
                }
                return (int)Math.Min(Max, Math.Ceiling(_rate * Horizon.TotalSeconds));
            }
        }
    }

    public void AddRange(IEnumerable<ClaimedJob> jobs)
    {
        lock (_gate)
        {
            foreach (var job in jobs)
                _byLease.Add(job.Lease, _jobs.AddLast(job));
        }
    }

    /// <summary>The oldest buffered job, counted as started.</summary>
    public bool TryTake(out ClaimedJob job)
    {
        lock (_gate)
        {
            if (_jobs.First is not { } first)
            {
                job = null!;
                return false;
            }
            _jobs.RemoveFirst();
            _byLease.Remove(first.Value.Lease);
            _started++;
            job = first.Value;
            return true;
        }
    }

    /// <summary>Takes one job out (cancelled, or its lease was lost); false when it is not here (it started, or never was).</summary>
    public bool TryRemove(JobLease lease, out ClaimedJob job)
    {
        lock (_gate)
        {
            if (!_byLease.Remove(lease, out var node))
            {
                job = null!;
                return false;
            }
            _jobs.Remove(node);
            job = node.Value;
            return true;
        }
    }

    /// <summary>The leases of the buffered attempts of a job.</summary>
    public IReadOnlyList<JobLease> OfJob(long id)
    {
        lock (_gate)
            return [.. _byLease.Keys.Where(l => l.Id == id)];
    }

    /// <summary>Everything buffered, leaving it empty: at shutdown, to hand back.</summary>
    public IReadOnlyList<ClaimedJob> TakeAll()
    {
        lock (_gate)
        {
            var all = _jobs.ToList();
            _jobs.Clear();
            _byLease.Clear();
            return all;
        }
    }

    public IReadOnlyList<JobLease> Leases()
    {
        lock (_gate)
            return [.. _byLease.Keys];
    }
}
