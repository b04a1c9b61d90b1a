namespace Conveyor.Storage;

/// <summary>
/// Wake-ups: "a job is ready in queue Q". Payloads carry only the queue name, never job data.
/// A store whose inserts notify on their own (a PostgreSQL trigger) implements <see cref="NotifyAsync"/> as a no-op.
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
