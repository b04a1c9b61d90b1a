using Conveyor.Storage;
using Microsoft.Extensions.Logging;

namespace Conveyor.Execution;

/// <summary>
/// Throttles one attempt's progress writes: the first report is written at once, later ones at most once
/// per interval (a trailing write carries the newest value), and the final value rides with the outcome.
/// </summary>
internal sealed class ProgressReporter(
    IJobExecutionStore store,
    ClaimedJob job,
    string workerId,
    TimeSpan interval,
    TimeProvider time,
    ILogger logger) : IProgressSink
{
    private readonly Lock _gate = new();
    private JobProgress? _latest;
    private long _lastWrite = long.MinValue;
    private bool _trailingScheduled;
    private bool _closed;

    /// <summary>The newest reported value, written with the outcome.</summary>
    public JobProgress? Latest
    {
        get { lock (_gate) return _latest; }
    }

    public ValueTask ReportAsync(JobProgress progress)
    {
        TimeSpan? trailingDelay = null;
        var writeNow = false;
        lock (_gate)
        {
            _latest = progress;
            if (_closed)
                return ValueTask.CompletedTask;
            var now = time.GetTimestamp();
            var sinceLast = _lastWrite == long.MinValue ? TimeSpan.MaxValue : time.GetElapsedTime(_lastWrite, now);
            if (sinceLast >= interval && !_trailingScheduled)
            {
                _lastWrite = now;
                writeNow = true;
            }
            else if (!_trailingScheduled)
            {
                _trailingScheduled = true;
                trailingDelay = interval - sinceLast;
            }
        }
        if (trailingDelay is { } delay)
            _ = WriteTrailingAsync(delay);
        return writeNow ? new ValueTask(WriteAsync(progress)) : ValueTask.CompletedTask;
    }

    /// <summary>No more writes: the outcome carries the final value.</summary>
    public void Close()
    {
        lock (_gate) _closed = true;
    }

    private async Task WriteTrailingAsync(TimeSpan delay)
    {
        await Task.Delay(delay < TimeSpan.Zero ? TimeSpan.Zero : delay, time);
        JobProgress? value;
        lock (_gate)
        {
            _trailingScheduled = false;
            if (_closed)
                return;
            _lastWrite = time.GetTimestamp();
            value = _latest;
        }
        if (value is not null)
            await WriteAsync(value);
    }

    private async Task WriteAsync(JobProgress progress)
    {
        try
        {
            await store.JobProgressAsync(new JobProgressParams(job.Id, job.Attempt, workerId, progress), CancellationToken.None);
        }
        catch (Exception ex)
        {
            // Progress is advisory; the outcome carries the final value. Never fail a job over it.
            logger.LogWarning(ex, "Progress write for job {JobId} failed", job.Id);
        }
    }
}
