namespace Conveyor.Storage;

/// <summary>
/// Wake-ups: "a job is ready in queue Q" ("*" for any queue), and "running job N was asked to cancel".
/// Payloads carry only the queue name or job id, never job data. Stores send the wake-ups their own
/// operations cause; <see cref="NotifyAsync"/> is for waking workers by hand.
/// </summary>
public interface IJobNotifier
{
    /// <summary>Starts listening (a connection, a thread); idempotent.</summary>
    Task StartAsync(CancellationToken ct);

    /// <summary>Tells listeners, in this process and others where the store can, that a queue has work.</summary>
    ValueTask NotifyAsync(string queue, CancellationToken ct);

    /// <summary>Calls <paramref name="onQueueReady"/> with the queue name for every wake-up until disposed.</summary>
    IDisposable Subscribe(Action<string> onQueueReady);

    /// <summary>
    /// Calls <paramref name="onCancelRequested"/> with the id of every running job whose cancellation was asked
    /// for, as soon as the store hears of it (the heartbeat catches the rest within a second).
    /// </summary>
    IDisposable SubscribeCancellations(Action<long> onCancelRequested);

    Task StopAsync(CancellationToken ct);
}
