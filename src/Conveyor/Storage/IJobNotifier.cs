using System.Collections.Immutable;
using System.Text.Json;

namespace Conveyor.Storage;

/// <summary>
/// Wake-ups and control messages by topic (<see cref="NotifierTopics"/>), with small payloads that never carry job
/// data. A store sends the wake-ups its own operations cause; <see cref="NotifyAsync"/> is for the rest.
/// </summary>
public interface IJobNotifier
{
    /// <summary>Starts listening (a connection, a thread); idempotent.</summary>
    Task StartAsync(CancellationToken ct);

    /// <summary>Tells listeners in this process, and in other processes where the store can reach them.</summary>
    ValueTask NotifyAsync(string topic, string payload, CancellationToken ct);

    /// <summary>Calls <paramref name="onPayload"/> for every message on <paramref name="topic"/> until disposed.</summary>
    IDisposable Listen(string topic, Action<string> onPayload);

    /// <summary>Stops listening.</summary>
    Task StopAsync(CancellationToken ct);
}

/// <summary>The notifier's topics.</summary>
public static class NotifierTopics
{
    /// <summary>A queue has jobs ready; the payload is the queue name, or "*" for every queue.</summary>
    public const string JobsReady = "jobs-ready";

    /// <summary>Control messages for workers (<see cref="ControlMessage"/> as JSON): cancel a running job.</summary>
    public const string Control = "control";
}

/// <summary>A control message: <c>{"action":"cancel","jobId":42}</c>.</summary>
internal sealed record ControlMessage(string Action, long? JobId = null)
{
    public const string Cancel = "cancel";

    public static ControlMessage CancelJob(long jobId) => new(Cancel, jobId);

    public string ToJson() => JsonSerializer.Serialize(this, ConveyorJson.Options);

    /// <summary>Null for a payload that is not a control message (a newer version's, or garbage): ignored, never thrown.</summary>
    public static ControlMessage? TryParse(string payload)
    {
        try
        {
            return JsonSerializer.Deserialize<ControlMessage>(payload, ConveyorJson.Options);
        }
        catch (JsonException)
        {
            return null;
        }
    }
}

/// <summary>
/// The in-process half every notifier shares: delivers messages to this process's listeners. Store notifiers add
/// the cross-process half (LISTEN/NOTIFY, a file watch) on top.
/// </summary>
internal class LocalNotifier : IJobNotifier
{
    private ImmutableDictionary<string, ImmutableArray<Action<string>>> _listeners = ImmutableDictionary<string, ImmutableArray<Action<string>>>.Empty;

    public virtual Task StartAsync(CancellationToken ct) => Task.CompletedTask;

    public virtual Task StopAsync(CancellationToken ct) => Task.CompletedTask;

    public virtual ValueTask NotifyAsync(string topic, string payload, CancellationToken ct)
    {
        PublishLocal(topic, payload);
        return ValueTask.CompletedTask;
    }

    /// <summary>Delivers to this process's listeners only, at once.</summary>
    public void PublishLocal(string topic, string payload)
    {
        // An immutable snapshot: listeners may come and go while we deliver.
        if (!_listeners.TryGetValue(topic, out var listeners))
            return;
        foreach (var listener in listeners)
            listener(payload);
    }

    public virtual IDisposable Listen(string topic, Action<string> onPayload)
    {
        ImmutableInterlocked.AddOrUpdate(ref _listeners, topic, [onPayload], (_, l) => l.Add(onPayload));
        return new Unsubscribe(() => ImmutableInterlocked.AddOrUpdate(ref _listeners, topic, [], (_, l) => l.Remove(onPayload)));
    }

    private sealed class Unsubscribe(Action action) : IDisposable
    {
        private int _disposed;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _disposed, 1) == 0)
                action();
        }
    }
}
