using System.Data.Common;
using Conveyor.Storage;
using Microsoft.Extensions.Logging;

namespace Conveyor.Sqlite;

/// <summary>
/// Wake-ups for the SQLite store: in-process delivery, plus a watch on <c>PRAGMA data_version</c>, which changes
/// when another connection (another process's enqueue) commits to the file. Checked every 100 ms on one
/// connection, and only while some worker of this process listens for ready jobs, so a CLI process that only
/// enqueues runs no watch. Without it a job enqueued by another process waited for the poll (1 s by default).
/// Control messages (cancel) stay in this process; other processes see a cancel at their next heartbeat.
/// </summary>
internal sealed class SqliteNotifier(Func<CancellationToken, Task<DbConnection>> open, ILogger logger) : LocalNotifier
{
    private static readonly TimeSpan WatchInterval = TimeSpan.FromMilliseconds(100);
    private readonly Lock _gate = new();
    private int _watchers;
    private CancellationTokenSource? _stop;
    private Task? _watch;

    public override IDisposable Listen(string topic, Action<string> onPayload)
    {
        var subscription = base.Listen(topic, onPayload);
        if (topic != NotifierTopics.JobsReady)
            return subscription;
        lock (_gate)
        {
            if (_watchers++ == 0)
            {
                _stop = new CancellationTokenSource();
                var token = _stop.Token;
                _watch = Task.Run(() => WatchAsync(token), CancellationToken.None);
            }
        }
        return new Unwatch(this, subscription);
    }

    public override async Task StopAsync(CancellationToken ct)
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
            if (--_watchers == 0)
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
                        PublishLocal(NotifierTopics.JobsReady, "*");
                    seen = version;
                    await Task.Delay(WatchInterval, stop);
                }
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                // The poll interval still covers; try the watch again shortly.
                logger.LogWarning(ex, "Watching the SQLite file for other processes' commits failed; retrying in 1 s (the poll interval covers meanwhile)");
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

    private sealed class Unwatch(SqliteNotifier owner, IDisposable inner) : IDisposable
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
