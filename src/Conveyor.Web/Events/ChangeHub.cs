using System.Threading.Channels;
using Conveyor.Storage;
using Microsoft.Extensions.Logging;

namespace Conveyor.Web.Events;

/// <summary>What a subscriber wants to hear about: one job, one batch, one queue, or (all null) everything.</summary>
internal sealed record ChangeFilter(long? JobId, string? BatchId, string? Queue)
{
    public bool Matches(JobChange change) =>
        (JobId is null || change.Id == JobId) && (BatchId is null || change.BatchId == BatchId) && (Queue is null || change.Queue == Queue);
}

/// <summary>
/// One reader of the store's change feed per server process, fanned out in memory: the store is read four times a second
/// while anyone listens, whatever the number of subscribers, and not at all when no one does. Each subscriber has a
/// bounded buffer; one that cannot keep up loses its oldest buffered changes (it resumes from the store with
/// Last-Event-ID) instead of holding the others back or growing without bound.
/// </summary>
internal sealed class ChangeHub : IAsyncDisposable
{
    /// <summary>A change is seen by subscribers within this much of its commit (the bound is 1 s).</summary>
    public static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(250);
    private const int PageSize = 1000;
    private const int MaxPagesPerPoll = 50;
    private const int SubscriberBuffer = 1024;

    private readonly IJobChangeFeed _feed;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly Lock _gate = new();
    private readonly CancellationTokenSource _stop = new();
    private Subscription[] _subscribers = [];
    private Task? _reader;
    private readonly SemaphoreSlim _wake = new(0);
    private readonly SemaphoreSlim _transition = new(1, 1);
    private long? _settled; // null while idle: the next subscriber reads it afresh
    private int _disposed;

    public ChangeHub(IJobChangeFeed feed, ILogger logger, TimeProvider? time = null)
    {
        _feed = feed;
        _logger = logger;
        _time = time ?? TimeProvider.System;
    }

    public int SubscriberCount => Volatile.Read(ref _subscribers).Length;

    /// <summary>
    /// Starts hearing changes that match <paramref name="filter"/> from now on; dispose to stop. "Now" is the store's
    /// settled point read before this returns, so a change committed after the call is heard even if the hub was idle.
    /// </summary>
    public async Task<Subscription> SubscribeAsync(ChangeFilter filter, CancellationToken ct)
    {
        var subscription = new Subscription(this, filter, Channel.CreateBounded<JobChange>(
            new BoundedChannelOptions(SubscriberBuffer) { FullMode = BoundedChannelFullMode.DropOldest, SingleReader = true, SingleWriter = true }));
        await _transition.WaitAsync(ct);
        try
        {
            _settled ??= (await _feed.JobChangesAsync(new JobChangesParams(JobChangeCursor.Start, 0), ct)).Settled;
            lock (_gate)
            {
                _subscribers = [.. _subscribers, subscription];
                _reader ??= Task.Run(() => ReadLoopAsync(_stop.Token));
            }
        }
        finally
        {
            _transition.Release();
        }
        _wake.Release();
        return subscription;
    }

    private void Unsubscribe(Subscription subscription)
    {
        lock (_gate)
            _subscribers = [.. _subscribers.Where(s => s != subscription)];
        subscription.Channel.Writer.TryComplete();
    }

    /// <summary>
    /// Reads everything at or above the settled point each poll, delivers what it has not delivered yet, then moves the
    /// settled point up to what the store says can no longer change (remembering only what it delivered above it).
    /// </summary>
    private async Task ReadLoopAsync(CancellationToken stop)
    {
        var delivered = new HashSet<JobChangeCursor>();
        while (!stop.IsCancellationRequested)
        {
            try
            {
                if (SubscriberCount == 0)
                {
                    // Nobody listens: do not read; the next subscriber starts the hub again from the store's "now".
                    await _transition.WaitAsync(stop);
                    try
                    {
                        if (SubscriberCount == 0)
                        {
                            _settled = null;
                            delivered.Clear();
                        }
                    }
                    finally
                    {
                        _transition.Release();
                    }
                    if (_settled is null)
                        await _wake.WaitAsync(stop);
                    continue;
                }
                if (_settled is { } settled)
                    _settled = await PollAsync(settled, delivered, stop);
                await Task.Delay(PollInterval, _time, stop);
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                _logger.LogWarning(ex, "Reading the change feed failed; retrying.");
                await Task.Delay(TimeSpan.FromSeconds(1), _time, stop).ContinueWith(_ => { }, TaskScheduler.Default);
            }
        }
    }

    private async Task<long> PollAsync(long settled, HashSet<JobChangeCursor> delivered, CancellationToken ct)
    {
        var after = JobChangeCursor.Before(settled);
        long? nextSettled = null;
        for (var page = 0; page < MaxPagesPerPoll; page++)
        {
            var result = await _feed.JobChangesAsync(new JobChangesParams(after, PageSize), ct);
            nextSettled ??= result.Settled;
            foreach (var change in result.Changes)
            {
                if (delivered.Add(change.Position))
                    Publish(change);
            }
            if (result.Changes.Count < PageSize)
                break;
            after = result.Changes[^1].Position;
            if (page == MaxPagesPerPoll - 1)
                nextSettled = Math.Min(nextSettled.Value, after.Seq); // more to read: do not settle past what was read
        }
        var newSettled = Math.Max(settled, nextSettled!.Value);
        delivered.RemoveWhere(p => p.Seq < newSettled);
        return newSettled;
    }

    private void Publish(JobChange change)
    {
        foreach (var subscriber in Volatile.Read(ref _subscribers))
        {
            if (subscriber.Filter.Matches(change))
                subscriber.Channel.Writer.TryWrite(change);
        }
    }

    /// <summary>Stops the reader and ends every subscription. Called at application stopping and again when the container disposes: once is enough.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1)
            return;
        await _stop.CancelAsync();
        if (_reader is not null)
            await _reader.ContinueWith(_ => { }, TaskScheduler.Default);
        foreach (var subscriber in _subscribers)
            subscriber.Channel.Writer.TryComplete();
        _stop.Dispose();
    }

    /// <summary>One listener's buffered changes.</summary>
    public sealed class Subscription(ChangeHub hub, ChangeFilter filter, Channel<JobChange> channel) : IDisposable
    {
        public ChangeFilter Filter { get; } = filter;
        internal Channel<JobChange> Channel { get; } = channel;
        public ChannelReader<JobChange> Changes => Channel.Reader;
        public void Dispose() => hub.Unsubscribe(this);
    }
}
