namespace Conveyor.Execution;

/// <summary>
/// An auto-reset wake-up. The waiter calls <see cref="Reset"/> before it looks for work and <see cref="WaitAsync"/>
/// after, so a <see cref="Set"/> that lands in between is never lost.
/// </summary>
internal sealed class WakeSignal
{
    private TaskCompletionSource _source = NewSource();

    public void Set() => Volatile.Read(ref _source).TrySetResult();

    public void Reset()
    {
        var current = Volatile.Read(ref _source);
        if (current.Task.IsCompleted)
            Interlocked.CompareExchange(ref _source, NewSource(), current);
    }

    /// <summary>Returns when set, when <paramref name="timeout"/> passes, or throws when <paramref name="ct"/> is cancelled.</summary>
    public async Task WaitAsync(TimeSpan timeout, TimeProvider time, CancellationToken ct)
    {
        var task = Volatile.Read(ref _source).Task;
        if (task.IsCompleted)
            return;
        try
        {
            await task.WaitAsync(timeout, time, ct);
        }
        catch (TimeoutException)
        {
        }
    }

    private static TaskCompletionSource NewSource() => new(TaskCreationOptions.RunContinuationsAsynchronously);
}
