using Conveyor.Storage;
using Microsoft.Data.Sqlite;

namespace Conveyor.Sqlite;

/// <summary>
/// Wake-ups for the SQLite store: in-process signals, plus a watch on <c>PRAGMA data_version</c>, which changes
/// when another connection (another process's enqueue) commits to the file. Checked every 100 ms on one
/// connection, and only while some worker of this process is subscribed, so a CLI process that only enqueues
/// runs no watch. Without it a job enqueued by another process waited for the poll (1 s by default).
/// </summary>
internal sealed class SqliteNotifier(Func<CancellationToken, Task<SqliteConnection>> open) : IJobNotifier
{
    private static readonly TimeSpan WatchInterval = TimeSpan.FromMilliseconds(100);
    private readonly InProcessNotifier _local = new();
    private readonly Lock _gate = new();
    private int _queueSubscribers;
    private CancellationTokenSource? _stop;
    private Task? _watch;

    public Task StartAsync(CancellationToken ct) => Task.CompletedTask;

    public ValueTask NotifyAsync(string queue, CancellationToken ct)
    {
        _local.Publish(queue);
        return ValueTask.CompletedTask;
    }

    public void Publish(string queue) => _local.Publish(queue);

    public void PublishCancel(long jobId) => _local.PublishCancel(jobId);

    public IDisposable Subscribe(Action<string> onQueueReady)
    {
        var subscription = _local.Subscribe(onQueueReady);
        lock (_gate)
        {
            if (_queueSubscribers++ == 0)
            {
                _stop = new CancellationTokenSource();
                var token = _stop.Token;
                _watch = Task.Run(() => WatchAsync(token), CancellationToken.None);
            }
        }
        return new Unsubscribe(this, subscription);
    }

    public IDisposable SubscribeCancellations(Action<long> onCancelRequested) => _local.SubscribeCancellations(onCancelRequested);

    public async Task StopAsync(CancellationToken ct)
    {
        Task? watch;
        lock (_gate)
        {
            _stop?.Cancel();
            watch = _watch;
            _watch = null;
        }
        if (watch is not null)
            await watch.WaitAsync(ct).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
    }

    private void Release()
    {
        lock (_gate)
        {
            if (--_queueSubscribers == 0)
            {
                _stop?.Cancel();
                _watch = null;
            }
        }
    }

    private async Task WatchAsync(CancellationToken stop)
    {
        long? seen = null;
        while (!stop.IsCancellationRequested)
        {
            try
            {
                await using var connection = await open(stop);
                await using var command = connection.CreateCommand();
                command.CommandText = "PRAGMA data_version";
                while (!stop.IsCancellationRequested)
                {
                    var version = (long)(await command.ExecuteScalarAsync(stop))!;
                    if (seen is not null && version != seen)
                        _local.Publish("*");
                    seen = version;
                    await Task.Delay(WatchInterval, stop);
                }
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
                return;
            }
            catch (Exception)
            {
                // The poll interval still covers; try the watch again shortly.
                seen = null;
                try
                {
                    await Task.Delay(TimeSpan.FromSeconds(1), stop);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
            }
        }
    }

    private sealed class Unsubscribe(SqliteNotifier owner, IDisposable inner) : IDisposable
    {
        private int _disposed;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _disposed, 1) == 1)
                return;
            inner.Dispose();
            owner.Release();
        }
    }
}
