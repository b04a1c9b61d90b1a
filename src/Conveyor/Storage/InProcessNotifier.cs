using System.Collections.Immutable;

namespace Conveyor.Storage;

/// <summary>
/// Wake-ups within one process: the SQLite store's notifier, and the local fast path of stores whose
/// cross-process notifications arrive later. "*" means every queue.
/// </summary>
public sealed class InProcessNotifier : IJobNotifier
{
    private ImmutableArray<Action<string>> _subscribers = [];
    private ImmutableArray<Action<long>> _cancelSubscribers = [];

    public Task StartAsync(CancellationToken ct) => Task.CompletedTask;

    public Task StopAsync(CancellationToken ct) => Task.CompletedTask;

    public ValueTask NotifyAsync(string queue, CancellationToken ct)
    {
        Publish(queue);
        return ValueTask.CompletedTask;
    }

    /// <summary>Delivers a wake-up to every subscriber of this process.</summary>
    public void Publish(string queue)
    {
        // ImmutableArray is a struct holding one reference: a plain read is atomic and sees a whole array.
        foreach (var subscriber in _subscribers)
            subscriber(queue);
    }

    /// <summary>Tells this process's workers that a running job was asked to cancel.</summary>
    public void PublishCancel(long jobId)
    {
        foreach (var subscriber in _cancelSubscribers)
            subscriber(jobId);
    }

    public IDisposable Subscribe(Action<string> onQueueReady)
    {
        ImmutableInterlocked.Update(ref _subscribers, s => s.Add(onQueueReady));
        return new Unsubscribe(() => ImmutableInterlocked.Update(ref _subscribers, s => s.Remove(onQueueReady)));
    }

    public IDisposable SubscribeCancellations(Action<long> onCancelRequested)
    {
        ImmutableInterlocked.Update(ref _cancelSubscribers, s => s.Add(onCancelRequested));
        return new Unsubscribe(() => ImmutableInterlocked.Update(ref _cancelSubscribers, s => s.Remove(onCancelRequested)));
    }

    private sealed class Unsubscribe(Action action) : IDisposable
    {
        public void Dispose() => action();
    }
}
