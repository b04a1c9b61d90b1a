using Conveyor.Storage;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;

namespace Conveyor.Postgres;

/// <summary>
/// One LISTEN connection per process. Notifications (queue names) are handed to in-process subscribers.
/// After a lost connection (server restart) it reconnects with back-off; meanwhile workers fall back to polling.
/// </summary>
internal sealed class PostgresNotifier(NpgsqlDataSource dataSource, string channel, string cancelChannel, bool listen, ILogger? logger = null) : IJobNotifier
{
    private static readonly TimeSpan MaxBackoff = TimeSpan.FromSeconds(30);
    private readonly InProcessNotifier _local = new();
    private readonly ILogger _logger = logger ?? NullLogger.Instance;
    private readonly Lock _gate = new();
    private CancellationTokenSource? _stop;
    private Task? _loop;
    private TaskCompletionSource _listening = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public Task StartAsync(CancellationToken ct)
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

    public async ValueTask NotifyAsync(string queue, CancellationToken ct)
    {
        _local.Publish(queue);
        await using var command = dataSource.CreateCommand("SELECT pg_notify(@channel, @queue)");
        command.Parameters.AddWithValue("channel", channel);
        command.Parameters.AddWithValue("queue", queue);
        await command.ExecuteNonQueryAsync(ct);
    }

    /// <summary>Wakes this process's workers at once, without a round trip.</summary>
    public void PublishLocal(string queue) => _local.Publish(queue);

    /// <summary>Cancels at once on this process's workers, without waiting for NOTIFY.</summary>
    public void PublishCancelLocal(long jobId) => _local.PublishCancel(jobId);

    public IDisposable Subscribe(Action<string> onQueueReady) => _local.Subscribe(onQueueReady);

    public IDisposable SubscribeCancellations(Action<long> onCancelRequested) => _local.SubscribeCancellations(onCancelRequested);

    public async Task StopAsync(CancellationToken ct)
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
        var backoff = TimeSpan.FromMilliseconds(250);
        while (!stop.IsCancellationRequested)
        {
            try
            {
                await using var connection = await dataSource.OpenConnectionAsync(stop);
                connection.Notification += (_, e) =>
                {
                    if (e.Channel == cancelChannel)
                    {
                        if (long.TryParse(e.Payload, out var jobId))
                            _local.PublishCancel(jobId);
                    }
                    else
                    {
                        _local.Publish(e.Payload);
                    }
                };
                await using (var command = new NpgsqlCommand($"LISTEN \"{channel}\"; LISTEN \"{cancelChannel}\"", connection))
                    await command.ExecuteNonQueryAsync(stop);
                _listening.TrySetResult();
                if (backoff > TimeSpan.FromMilliseconds(250))
                    _logger.LogInformation("LISTEN connection restored");
                backoff = TimeSpan.FromMilliseconds(250);
                // Jobs may have arrived while we were not listening.
                _local.Publish("*");
                while (!stop.IsCancellationRequested)
                    await connection.WaitAsync(stop);
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                _logger.LogWarning("LISTEN connection lost ({Error}); reconnecting in {Delay}, polling meanwhile", ex.Message, backoff);
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
