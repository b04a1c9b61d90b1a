using Conveyor.Storage;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace Conveyor.Postgres;

/// <summary>
/// Topics over LISTEN/NOTIFY: one LISTEN connection per process hands every notification to this process's
/// listeners. Channels are named after the schema (<c>conveyor_jobs</c> for jobs-ready, which the insert trigger
/// also sends; <c>conveyor_control</c>). After a lost connection (server restart) it reconnects with back-off;
/// meanwhile workers fall back to polling and heartbeats.
/// </summary>
internal sealed class PostgresNotifier(NpgsqlDataSource dataSource, string schema, bool listen, ILogger logger) : LocalNotifier
{
    private static readonly TimeSpan MaxBackoff = TimeSpan.FromSeconds(30);
    private static readonly string[] Topics = [NotifierTopics.JobsReady, NotifierTopics.Control];
    private readonly Lock _gate = new();
    private readonly TaskCompletionSource _listening = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private CancellationTokenSource? _stop;
    private Task? _loop;

    private string Channel(string topic) => topic switch
    {
        NotifierTopics.JobsReady => schema + "_jobs",
        _ => schema + "_" + topic.Replace('-', '_'),
    };

    public override Task StartAsync(CancellationToken ct)
    {
        if (!listen)
            return Task.CompletedTask;
        lock (_gate)
        {
            if (_loop is null)
            {
                _stop = new CancellationTokenSource();
                _loop = Task.Run(() => ListenLoopAsync(_stop.Token), CancellationToken.None);
            }
        }
        // Wait briefly for the first LISTEN so that an enqueue right after start is not missed; never fail start over it.
        return Task.WhenAny(_listening.Task, Task.Delay(TimeSpan.FromSeconds(5), ct));
    }

    public override async ValueTask NotifyAsync(string topic, string payload, CancellationToken ct)
    {
        PublishLocal(topic, payload);
        await using var command = dataSource.CreateCommand("SELECT pg_notify(@channel, @payload)");
        command.Parameters.AddWithValue("channel", Channel(topic));
        command.Parameters.AddWithValue("payload", payload);
        await command.ExecuteNonQueryAsync(ct);
    }

    public override async Task StopAsync(CancellationToken ct)
    {
        Task? loop;
        lock (_gate)
        {
            loop = _loop;
            _stop?.Cancel();
            _loop = null;
        }
        if (loop is not null)
            await loop.WaitAsync(ct).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
    }

    private async Task ListenLoopAsync(CancellationToken stop)
    {
        var byChannel = Topics.ToDictionary(Channel, t => t, StringComparer.Ordinal);
        var backoff = TimeSpan.FromMilliseconds(250);
        while (!stop.IsCancellationRequested)
        {
            try
            {
                await using var connection = await dataSource.OpenConnectionAsync(stop);
                connection.Notification += (_, e) =>
                {
                    if (byChannel.TryGetValue(e.Channel, out var topic))
                        PublishLocal(topic, e.Payload);
                };
                await using (var command = new NpgsqlCommand(string.Join("; ", byChannel.Keys.Select(c => $"LISTEN \"{c}\"")), connection))
                    await command.ExecuteNonQueryAsync(stop);
                _listening.TrySetResult();
                if (backoff > TimeSpan.FromMilliseconds(250))
                    logger.LogInformation("LISTEN connection restored");
                backoff = TimeSpan.FromMilliseconds(250);
                // Jobs may have arrived while we were not listening.
                PublishLocal(NotifierTopics.JobsReady, "*");
                while (!stop.IsCancellationRequested)
                    await connection.WaitAsync(stop);
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                logger.LogWarning(ex, "LISTEN connection lost ({Error}); reconnecting in {Delay}, polling meanwhile", ex.Message, backoff);
                try
                {
                    await Task.Delay(backoff, stop);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
                backoff = TimeSpan.FromTicks(Math.Min(backoff.Ticks * 2, MaxBackoff.Ticks));
            }
        }
    }
}
