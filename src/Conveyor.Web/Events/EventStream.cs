using System.Text;
using System.Text.Json;
using Conveyor.Storage;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;

namespace Conveyor.Web.Events;

/// <summary>
/// GET /api/events: job changes as server-sent events. Each event's id is its position in the store's change feed, so a
/// client that reconnects with Last-Event-ID is sent, from the store, the latest state of every job that changed since
/// (at most <see cref="MaxResumed"/> changes; past that it is told to reload) before the live events go on.
/// </summary>
internal static class EventStream
{
    public const int MaxResumed = 10_000;
    private static readonly TimeSpan KeepAlive = TimeSpan.FromSeconds(15);

    public static ChangeFilter ReadFilter(HttpRequest request)
    {
        var q = request.Query;
        long? job = null;
        if (!string.IsNullOrEmpty(q["job"]))
            job = long.TryParse(q["job"], out var id) ? id : throw new JobValidationException($"Query parameter 'job' must be a job id (got '{q["job"]}').");
        var filter = new ChangeFilter(job, ConveyorEndpoints.Empty(q["batch"]), ConveyorEndpoints.Empty(q["queue"]));
        return filter;
    }

    public static async Task StreamAsync(HttpContext context, ChangeHub hub, IJobChangeFeed feed, ChangeFilter filter, CancellationToken ct)
    {
        JobChangeCursor? resumeFrom = null;
        var lastEventId = context.Request.Headers["Last-Event-ID"].ToString();
        if (string.IsNullOrEmpty(lastEventId))
            lastEventId = context.Request.Query["lastEventId"].ToString();
        if (!string.IsNullOrEmpty(lastEventId))
            resumeFrom = JobChangeCursor.TryParse(lastEventId, out var c) ? c : throw new JobValidationException($"Last-Event-ID '{lastEventId}' is not an event id of this stream.");

        // Subscribe before reading the store, so that nothing committed in between is lost; what both deliver is sent once.
        using var subscription = await hub.SubscribeAsync(filter, ct);
        var initial = new List<JobChange>();
        var reset = false;
        if (resumeFrom is { } from)
        {
            var after = from;
            while (initial.Count < MaxResumed)
            {
                var page = await feed.JobChangesAsync(new JobChangesParams(after, 1000, filter.JobId, filter.BatchId, filter.Queue), ct);
                initial.AddRange(page.Changes);
                if (page.Changes.Count < 1000)
                    break;
                after = page.Changes[^1].Position;
            }
            reset = initial.Count >= MaxResumed;
        }
        else if (filter.JobId is { } jobId)
        {
            // One job: its current state first, so a progress bar draws at once.
            var page = await feed.JobChangesAsync(new JobChangesParams(JobChangeCursor.Start, 1, jobId), ct);
            if (page.Changes.Count == 0)
                throw new JobNotFoundException(jobId);
            initial.AddRange(page.Changes);
        }

        var response = context.Response;
        response.StatusCode = StatusCodes.Status200OK;
        response.ContentType = "text/event-stream; charset=utf-8";
        response.Headers.CacheControl = "no-cache, no-store";
        response.Headers["X-Accel-Buffering"] = "no";
        context.Features.Get<IHttpResponseBodyFeature>()?.DisableBuffering();
        await response.WriteAsync("retry: 2000\n\n", ct);

        var sent = resumeFrom ?? JobChangeCursor.Start;
        foreach (var change in initial)
            await WriteAsync(response, change, ct);
        if (initial.Count > 0)
            sent = initial.Max(c => c.Position);
        if (reset)
            await response.WriteAsync("event: reset\ndata: {\"reason\":\"too many changes to resume; reload\"}\n\n", ct);
        await response.Body.FlushAsync(ct);

        var reader = subscription.Changes;
        while (!ct.IsCancellationRequested)
        {
            using var wait = CancellationTokenSource.CreateLinkedTokenSource(ct);
            wait.CancelAfter(KeepAlive);
            bool more;
            try
            {
                more = await reader.WaitToReadAsync(wait.Token);
            }
            catch (OperationCanceledException) when (!ct.IsCancellationRequested)
            {
                await response.WriteAsync(": keep-alive\n\n", ct);
                await response.Body.FlushAsync(ct);
                continue;
            }
            if (!more)
                return;
            while (reader.TryRead(out var change))
            {
                if (change.Position.CompareTo(sent) <= 0)
                    continue; // already sent from the store (or older than what was)
                await WriteAsync(response, change, ct);
            }
            await response.Body.FlushAsync(ct);
        }
    }

    private static Task WriteAsync(HttpResponse response, JobChange change, CancellationToken ct)
    {
        var text = new StringBuilder(256)
            .Append("id: ").Append(change.Position.ToString()).Append('\n')
            .Append("event: job\n")
            .Append("data: ").Append(JsonSerializer.Serialize(JobEvent.From(change), ConveyorJson.Options)).Append("\n\n");
        return response.WriteAsync(text.ToString(), ct);
    }

}

/// <summary>The data of one "job" event: the job's state as of the change (never its args).</summary>
internal sealed record JobEvent(
    long Id, string Queue, string Kind, string? BatchId, JobState State, int Attempt, int MaxAttempts,
    JobProgress? Progress, JsonElement? Result, JobEventError? Error, DateTimeOffset? FinishedAt)
{
    public static JobEvent From(JobChange c) => new(c.Id, c.Queue, c.Kind, c.BatchId, c.State, c.Attempt, c.MaxAttempts, c.Progress,
        c.Result is null ? null : ConveyorJson.ParseElement(c.Result),
        c.Error is null ? null : new JobEventError(c.Error.Attempt, c.Error.Type, c.Error.Message, c.Error.At),
        c.FinishedAt);
}

/// <summary>The latest failed attempt, without its stack trace (the job's page has that).</summary>
internal sealed record JobEventError(int Attempt, string Type, string Message, DateTimeOffset At);
