using Conveyor.Storage;

namespace Conveyor.Execution;

internal enum CancelReason
{
    None,
    Requested,
    Timeout,
    Shutdown,
    Lost,
}

/// <summary>One attempt in flight in this process: its lease token, its cancellation and its progress.</summary>
internal sealed class RunningJob(ClaimedJob job, ProgressReporter progress) : IDisposable
{
    private readonly CancellationTokenSource _cancellation = new();
    private int _reason;

    public ClaimedJob Job { get; } = job;
    public ProgressReporter Progress { get; } = progress;
    public CancellationToken Token => _cancellation.Token;
    public CancelReason Reason => (CancelReason)Volatile.Read(ref _reason);

    /// <summary>The first reason wins: a job cancelled by a user and then by shutdown stays cancelled by the user.</summary>
    public void Cancel(CancelReason reason)
    {
        if (Interlocked.CompareExchange(ref _reason, (int)reason, (int)CancelReason.None) != (int)CancelReason.None)
            return;
        try
        {
            _cancellation.Cancel();
        }
        catch (ObjectDisposedException)
        {
            // The attempt ended while we were cancelling it: nothing left to stop.
        }
    }

    public void Dispose() => _cancellation.Dispose();
}
