using System.Threading.Channels;
using Conveyor.Storage;
using Microsoft.Extensions.Logging;

namespace Conveyor.Execution;

/// <summary>
/// Buffers attempt outcomes for a few milliseconds and writes each batch in one store call. At-least-once
/// holds: an outcome that never gets written leaves its job running until its lease expires and it is rescued.
/// </summary>
internal sealed class Completer(IJobExecutionStore store, WorkerSettings settings, TimeProvider time, ILogger logger, Telemetry.ConveyorMetrics? metrics = null, Action? applied = null)
{
    private static readonly TimeSpan[] RetryDelays = [TimeSpan.FromMilliseconds(50), TimeSpan.FromMilliseconds(200), TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(5)];

    // Bounded so that a store outage slows executors down instead of growing memory without limit.
    private readonly Channel<AttemptOutcome> _channel = Channel.CreateBounded<AttemptOutcome>(new BoundedChannelOptions(Math.Max(1000, settings.CompleterBatchSize * 4))
    {
        SingleReader = true,
        FullMode = BoundedChannelFullMode.Wait,
    });

    private Task? _loop;
    private long _written;
    private long _rejected;

    public long Written => Interlocked.Read(ref _written);
    public long Rejected => Interlocked.Read(ref _rejected);

    public void Start() => _loop = Task.Run(RunAsync);

    /// <summary>Queues an outcome; false once the completer has stopped (the job was handed back at shutdown).</summary>
    public async ValueTask<bool> TryAddAsync(AttemptOutcome outcome)
    {
        try
        {
            await _channel.Writer.WriteAsync(outcome);
            settings.Drain?.OnOutcome(outcome);
            return true;
        }
        catch (ChannelClosedException)
        {
            return false;
        }
    }

    /// <summary>Writes everything still buffered, then stops.</summary>
    public async Task StopAsync()
    {
        _channel.Writer.TryComplete();
        if (_loop is not null)
            await _loop;
    }

    private async Task RunAsync()
    {
        var reader = _channel.Reader;
        // At most two batches in flight: a second starts only while a whole batch more is waiting. One writer at a time
        // left the database one backend when outcomes piled up: at the end of a 20,000-job drain on 2 cores the last
        // handler had run 95-114 ms before the last outcome was written (the queue holds up to 4 batches), one core idle.
        // Eight pairs of `bench drain --store postgres --concurrency 24 --runs 8` processes: first drain 20,099 -> 21,631
        // jobs/s (medians), later drains level (32,275 -> 32,554). The batches hold different jobs, each sorted by id, so
        // they never wait on each other's job rows (a batch row they share is locked in id order by both).
        Task? earlier = null;
        while (await reader.WaitToReadAsync())
        {
            if (settings.CompleterWindow > TimeSpan.Zero && reader.Count < settings.CompleterBatchSize)
                await Task.Delay(settings.CompleterWindow, time);
            var batch = new List<AttemptOutcome>(Math.Min(Math.Max(1, reader.Count), settings.CompleterBatchSize));
            while (batch.Count < settings.CompleterBatchSize && reader.TryRead(out var outcome))
                batch.Add(outcome);
            var write = WriteAsync(batch);
            if (earlier is null && reader.Count >= settings.CompleterBatchSize)
            {
                earlier = write;
                continue;
            }
            await write;
            if (earlier is not null)
            {
                await earlier;
                earlier = null;
            }
        }
        if (earlier is not null)
            await earlier;
    }

    private async Task WriteAsync(List<AttemptOutcome> batch)
    {
        for (var attempt = 0; ; attempt++)
        {
            try
            {
                var written = await store.JobApplyOutcomesAsync(new JobApplyOutcomesParams([.. batch]), CancellationToken.None);
                Interlocked.Add(ref _written, written.Count);
                metrics?.Applied(batch, written);
                if (written.Count != batch.Count)
                    ReportRejected(batch, written);
                applied?.Invoke();
                return;
            }
            catch (Exception ex) when (attempt < RetryDelays.Length)
            {
                logger.LogWarning(ex, "Writing {Count} job outcomes failed; retrying in {Delay}", batch.Count, RetryDelays[attempt]);
                await Task.Delay(RetryDelays[attempt], time);
            }
            catch (Exception ex)
            {
                logger.LogError(ex, "Gave up writing {Count} job outcomes; their jobs will be rescued when their leases expire", batch.Count);
                return;
            }
        }
    }

    private void ReportRejected(List<AttemptOutcome> batch, IReadOnlyList<AppliedOutcome> applied)
    {
        var appliedIds = applied.Select(a => a.Id).ToHashSet();
        foreach (var outcome in batch.Where(o => !appliedIds.Contains(o.Id)))
        {
            Interlocked.Increment(ref _rejected);
            logger.LogWarning(
                "Outcome {Reason} of job {JobId} attempt {Attempt} rejected: this worker no longer holds the job (its lease expired and it was rescued, or it was cancelled)",
                outcome.Reason, outcome.Id, outcome.Attempt);
        }
    }
}
