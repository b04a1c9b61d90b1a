using Conveyor.Storage;
using Microsoft.Extensions.Logging;

namespace Conveyor.Execution;

/// <summary>
/// Claims jobs in one store call into the <see cref="ClaimBuffer"/>: the free slots plus as many as the worker is about to
/// start (<see cref="ClaimBuffer.Target"/>), and starts buffered jobs as slots free, from memory, while the next claim is in
/// flight. Claims again when a slot is free with nothing buffered, or when the buffer is down to half its target. Sleeps until
/// a wake-up (in-process signal or NOTIFY) or the poll interval when the queues are empty.
/// </summary>
internal sealed class Producer(
    IJobExecutionStore store,
    WorkerSettings settings,
    RunningJobs running,
    ClaimBuffer buffer,
    Executor executor,
    TimeProvider time,
    ILogger logger)
{
    private static readonly TimeSpan MaxErrorDelay = TimeSpan.FromSeconds(30);

    // Set when the buffer is down to its refill mark, or a slot is free with nothing buffered for it.
    private readonly WakeSignal _refill = new();
    private int _refillAt;
    private volatile bool _stopped;

    public WakeSignal WorkAvailable { get; } = new();

    public async Task RunAsync(CancellationToken stopping)
    {
        var errorDelay = TimeSpan.FromMilliseconds(250);
        try
        {
            while (!stopping.IsCancellationRequested)
            {
                try
                {
                    _refill.Reset();
                    running.SlotFreed.Reset();
                    Pump();
                    // Claim whatever is free, even one slot: claims batch by themselves, since slots free up while the previous
                    // claim runs. Holding back until a quarter of the slots were free measured no better (SQLite 32 slots:
                    // 11,000-12,700 jobs/s either way) and left slots idle behind long jobs. Ahead of the slots, the buffer is
                    // refilled at half its target, so that it does not run dry while the claim is in flight.
                    var free = settings.Concurrency - running.Count;
                    var buffered = buffer.Count;
                    var target = buffer.Target;
                    Volatile.Write(ref _refillAt, target / 2);
                    var want = free > 0 || buffered <= target / 2 ? free + target - buffered : 0;
                    if (settings.Drain is { } budget)
                    {
                        want = budget.Allow(want);
                        if (want <= 0 && running.Count == 0 && buffer.Count == 0)
                            budget.Drained.TrySetResult(); // the most it may run have run
                    }
                    if (want <= 0)
                    {
                        await WaitForRefillAsync(stopping);
                        continue;
                    }

                    WorkAvailable.Reset();
                    var claimed = await ClaimAsync(want, Math.Max(0, want - free));
                    if (settings.Drain is { } drain)
                    {
                        drain.OnClaimed(claimed);
                        if (claimed == 0 && running.Count == 0 && buffer.Count == 0)
                            drain.Drained.TrySetResult(); // nothing ready, nothing running
                    }
                    errorDelay = TimeSpan.FromMilliseconds(250);
                    if (claimed < want)
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
        finally
        {
            // No buffered job starts after this: shutdown hands what is left in the buffer back.
            _stopped = true;
        }
    }

    private Task WaitForRefillAsync(CancellationToken stopping) =>
        // A drain also wakes when a job ends, to notice that nothing runs any more.
        settings.Drain is not null
            ? Task.WhenAny(_refill.WaitAsync(settings.PollInterval, time, stopping), running.SlotFreed.WaitAsync(settings.PollInterval, time, stopping)).Unwrap()
            : _refill.WaitAsync(settings.PollInterval, time, stopping);

    /// <summary>
    /// Starts buffered jobs in free slots, oldest first, until one or the other runs out. A slot is reserved only for a job
    /// that is there: a reservation given back sets <see cref="RunningJobs.SlotFreed"/>, and a producer waiting on it (a
    /// drain) would wake at once and claim again for nothing, over and over while its last jobs run.
    /// </summary>
    private void Pump()
    {
        while (TryTakeNext(out var job))
            _ = Task.Run(() => RunSafelyAsync(job), CancellationToken.None);
    }

    /// <summary>
    /// The next buffered job, with a slot reserved for it, or false when the worker is stopping, the buffer is empty or
    /// every slot is taken. Taking one down to the refill mark asks the producer for more.
    /// </summary>
    private bool TryTakeNext(out ClaimedJob job)
    {
        job = null!;
        if (_stopped || buffer.Count == 0 || !running.TryReserveOne(settings.Concurrency))
            return false;
        if (!buffer.TryTake(out job))
        {
            running.Release(1); // a cancel or a lost lease took the last one out meanwhile
            return false;
        }
        if (buffer.Count <= Volatile.Read(ref _refillAt))
            _refill.Set();
        return true;
    }

    /// <param name="want">How many to claim.</param>
    /// <param name="ahead">How many of them are for the buffer rather than free slots (a limited queue gives those only from
    /// places beyond this worker's slot count: <see cref="JobClaimParams.Reserve"/>).</param>
    private async Task<int> ClaimAsync(int want, int ahead)
    {
        // Not cancelled by stopping: a claim that committed must reach the buffer, not vanish with a cancelled read.
        var jobs = settings.Plan?.Tiers is { } tiers ? await ClaimByTiersAsync(tiers, want, ahead) : await ClaimFromAsync(settings.Queues, want, ahead);
        buffer.AddRange(jobs);
        Pump();
        return jobs.Count;
    }

    private Task<IReadOnlyList<ClaimedJob>> ClaimFromAsync(IReadOnlyList<string> queues, int max, int ahead) =>
        store.JobClaimAsync(new JobClaimParams(settings.WorkerId, queues, max, settings.Lease, Kinds: settings.Kinds,
            Ahead: Math.Min(ahead, max), Reserve: settings.Concurrency), CancellationToken.None);

    /// <summary>
    /// Weighted or strict queues: tier by tier, each tier's share split by weight and claimed per queue; a queue's unused
    /// share goes to the tier's other queues before the next tier is asked. Once a claim has committed, a later failure
    /// keeps what was claimed (it is logged and tried again on the next pass) rather than losing it to the rescuer.
    /// </summary>
    private async Task<IReadOnlyList<ClaimedJob>> ClaimByTiersAsync(IReadOnlyList<QueueTier> tiers, int want, int ahead)
    {
        var claimed = new List<ClaimedJob>(want);
        // The free slots are filled first, in claim order: a queue's share is ahead of them once they are.
        int AheadIn(int share) => Math.Max(0, share - Math.Max(0, want - ahead - claimed.Count));
        try
        {
            foreach (var tier in tiers)
            {
                var left = want - claimed.Count;
                if (left <= 0)
                    break;
                var unused = 0;
                var exhausted = new HashSet<string>(StringComparer.Ordinal);
                foreach (var (queue, slots) in tier.Split(left))
                {
                    var got = await ClaimFromAsync([queue], slots, AheadIn(slots));
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
                    var got = await ClaimFromAsync([queue], unused, AheadIn(unused));
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
        while (true)
        {
            try
            {
                await executor.RunAsync(job);
            }
            catch (Exception ex)
            {
                logger.LogError(ex, "Executor failed on job {JobId}; it will be rescued when its lease expires", job.Id);
            }
            // Its slot is free: the next buffered job takes it in this same task, not in a new one through the thread pool
            // (bench drain --store postgres --concurrency 24 --runs 8, three pairs: the worker's user CPU 4.77-4.83 s ->
            // 4.62-4.65 s, drain medians 28,741-30,637 -> 30,556-31,293 jobs/s).
            if (!TryTakeNext(out var next))
                break;
            job = next;
        }
        // With nothing buffered, the producer claims for the free slot.
        if (buffer.Count == 0)
            _refill.Set();
        else
            Pump();
    }
}
