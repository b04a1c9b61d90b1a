using Conveyor.Storage;
using Microsoft.Extensions.Logging;

namespace Conveyor.Execution;

/// <summary>
/// Claims up to the free slots in one store call and hands each job to the executor. Sleeps until a
/// wake-up (in-process signal or NOTIFY) or the poll interval when the queues are empty, and until a
/// slot frees when all are busy.
/// </summary>
internal sealed class Producer(
    IJobExecutionStore store,
    WorkerSettings settings,
    RunningJobs running,
    Executor executor,
    TimeProvider time,
    ILogger logger)
{
    private static readonly TimeSpan MaxErrorDelay = TimeSpan.FromSeconds(30);

    public WakeSignal WorkAvailable { get; } = new();

    public async Task RunAsync(CancellationToken stopping)
    {
        var errorDelay = TimeSpan.FromMilliseconds(250);
        while (!stopping.IsCancellationRequested)
        {
            try
            {
                running.SlotFreed.Reset();
                // Claim whatever is free, even one slot: claims batch by themselves, since slots free up while the
                // previous claim runs. Holding back until a quarter of the slots were free measured no better
                // (SQLite 32 slots: 11,000-12,700 jobs/s either way, 9-14 jobs a claim; PostgreSQL 64 slots: 31-32
                // a claim either way) and left slots idle behind long jobs.
                var free = settings.Concurrency - running.Count;
                if (settings.Drain is { } budget)
                {
                    free = budget.Allow(free);
                    if (free <= 0 && running.Count == 0)
                        budget.Drained.TrySetResult(); // the most it may run have run
                }
                if (free <= 0)
                {
                    await running.SlotFreed.WaitAsync(settings.PollInterval, time, stopping);
                    continue;
                }

                WorkAvailable.Reset();
                var claimed = await ClaimAsync(free, stopping);
                if (settings.Drain is { } drain)
                {
                    drain.OnClaimed(claimed);
                    if (claimed == 0 && running.Count == 0)
                        drain.Drained.TrySetResult(); // nothing ready, nothing running
                }
                errorDelay = TimeSpan.FromMilliseconds(250);
                if (claimed < free)
                {
                    // Nothing more is ready now. A drain looks again as soon as a running job ends (it may have enqueued
                    // more) and stops when nothing is ready with nothing running; a worker waits for a wake-up or the poll.
                    // Outcomes this process writes wake it too (WorkerService): a queue limit may have held jobs back, and
                    // an ended job frees a place once its outcome is in the store (an empty claim per outcome batch at most).
                    if (settings.Drain is not null)
                        await running.SlotFreed.WaitAsync(settings.PollInterval, time, stopping);
                    else
                        await WorkAvailable.WaitAsync(settings.PollInterval, time, stopping);
                }
            }
            catch (OperationCanceledException) when (stopping.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                logger.LogError(ex, "Claiming jobs failed; retrying in {Delay}", errorDelay);
                try
                {
                    await Task.Delay(errorDelay, time, stopping);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
                errorDelay = TimeSpan.FromTicks(Math.Min(errorDelay.Ticks * 2, MaxErrorDelay.Ticks));
            }
        }
    }

    private async Task<int> ClaimAsync(int free, CancellationToken stopping)
    {
        running.Reserve(free);
        IReadOnlyList<ClaimedJob> jobs;
        try
        {
            // Not cancelled by stopping: a claim that committed must reach the executor, not vanish with a cancelled read.
            jobs = settings.Plan?.Tiers is { } tiers ? await ClaimByTiersAsync(tiers, free) : await ClaimFromAsync(settings.Queues, free);
        }
        catch
        {
            running.Release(free);
            throw;
        }
        // Each claimed job keeps its reserved slot until the executor removes it; unused reservations go back now.
        if (jobs.Count < free)
            running.Release(free - jobs.Count);
        foreach (var job in jobs)
            _ = Task.Run(() => RunSafelyAsync(job), CancellationToken.None);
        return jobs.Count;
    }

    private Task<IReadOnlyList<ClaimedJob>> ClaimFromAsync(IReadOnlyList<string> queues, int max) =>
        store.JobClaimAsync(new JobClaimParams(settings.WorkerId, queues, max, settings.Lease, Kinds: settings.Kinds), CancellationToken.None);

    /// <summary>
    /// Weighted or strict queues: tier by tier, each tier's share split by weight and claimed per queue; a queue's unused
    /// share goes to the tier's other queues before the next tier is asked. Once a claim has committed, a later failure
    /// keeps what was claimed (it is logged and tried again on the next pass) rather than losing it to the rescuer.
    /// </summary>
    private async Task<IReadOnlyList<ClaimedJob>> ClaimByTiersAsync(IReadOnlyList<QueueTier> tiers, int free)
    {
        var claimed = new List<ClaimedJob>(free);
        try
        {
            foreach (var tier in tiers)
            {
                var left = free - claimed.Count;
                if (left <= 0)
                    break;
                var unused = 0;
                var exhausted = new HashSet<string>(StringComparer.Ordinal);
                foreach (var (queue, slots) in tier.Split(left))
                {
                    var got = await ClaimFromAsync([queue], slots);
                    claimed.AddRange(got);
                    if (got.Count < slots)
                    {
                        unused += slots - got.Count;
                        exhausted.Add(queue);
                    }
                }
                // What a queue could not use goes to the tier's others that may still have jobs (those that filled their
                // share and those that had none this time), heaviest first.
                foreach (var (queue, _) in tier.Queues.Where(q => !exhausted.Contains(q.Queue)).OrderByDescending(q => q.Weight))
                {
                    if (unused == 0)
                        break;
                    var got = await ClaimFromAsync([queue], unused);
                    claimed.AddRange(got);
                    unused -= got.Count;
                }
            }
        }
        catch (Exception ex) when (claimed.Count > 0)
        {
            logger.LogError(ex, "Claiming from the next queue failed; running the {Count} jobs already claimed", claimed.Count);
        }
        return claimed;
    }

    private async Task RunSafelyAsync(ClaimedJob job)
    {
        try
        {
            await executor.RunAsync(job);
        }
        catch (Exception ex)
        {
            logger.LogError(ex, "Executor failed on job {JobId}; it will be rescued when its lease expires", job.Id);
        }
    }
}
