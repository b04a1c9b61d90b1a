using System.Text.Json;
using Conveyor.Storage;
using Conveyor.Web.Events;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Conveyor.Web;

/// <summary>Maps Conveyor's HTTP API into any ASP.NET Core app.</summary>
public static class ConveyorEndpoints
{
    /// <summary>Largest accepted bulk-enqueue body. Individual args are limited by MaxArgsBytes.</summary>
    private const long MaxBulkBodyBytes = 64L * 1024 * 1024;

    /// <summary>What a single job's body may add to its args (kind, queue, options).</summary>
    private const long SingleJobOverheadBytes = 64 * 1024;

    private const int MaxBulkJobs = 10_000;

    /// <summary>The most jobs one list page returns; a larger <c>limit</c> is clamped to it.</summary>
    private const int MaxPageSize = 500;

    /// <summary>
    /// Maps Conveyor's HTTP API: jobs, queues, workers, events and health. Errors are RFC 7807 problem details.
    /// With <paramref name="apiKey"/> set, every /api route needs <c>Authorization: Bearer KEY</c> or <c>X-Api-Key: KEY</c>.
    /// </summary>
    public static RouteGroupBuilder MapConveyor(this IEndpointRouteBuilder endpoints, string? apiKey) =>
        endpoints.MapConveyor(string.IsNullOrEmpty(apiKey) ? new ConveyorApiKeys() : new ConveyorApiKeys().Add(apiKey));

    /// <summary>
    /// Maps Conveyor's HTTP API with scoped keys: when any key is configured every /api route needs one
    /// (401 without, 403 when its scopes do not cover the route: GET needs read; enqueue, cancel and retry need operate).
    /// </summary>
    public static RouteGroupBuilder MapConveyor(this IEndpointRouteBuilder endpoints, ConveyorApiKeys keys)
    {
        ArgumentNullException.ThrowIfNull(keys);
        return endpoints.MapConveyor(new ConveyorWebOptions { ApiKeys = keys });
    }

    /// <summary>
    /// Maps Conveyor's HTTP API with the given options, or (null) those registered by
    /// <see cref="ConveyorWebServiceCollectionExtensions.AddConveyorWeb"/> (else the defaults: no keys, local callers only).
    /// Returns the /api group, so an app can add its own conventions: <c>app.MapConveyor().RequireAuthorization("ops")</c>
    /// (/healthz and /readyz stay open).
    /// </summary>
    public static RouteGroupBuilder MapConveyor(this IEndpointRouteBuilder endpoints, ConveyorWebOptions? options = null)
    {
        var web = ConveyorWeb.For(endpoints, options);
        var api = endpoints.MapGroup("/api");
        api.AddEndpointFilter(new ApiAccessFilter(web));
        api.AddEndpointFilter<ProblemFilter>();

        // The metadata below is what the OpenAPI document (/openapi/v1.json, where the host maps it) says of each route.
        api.MapPost("/jobs", EnqueueAsync).WithName("EnqueueJob").WithTags("jobs")
            .WithSummary("Enqueue one job: 202 with its id, state and Location; 200 with the holder of a taken unique key.")
            .Accepts<JsonElement>("application/json").Produces(StatusCodes.Status202Accepted).Produces(StatusCodes.Status200OK)
            .ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status413PayloadTooLarge);
        api.MapPost("/jobs/bulk", EnqueueBulkAsync).WithName("EnqueueJobs").WithTags("jobs")
            .WithSummary("Enqueue up to 10,000 jobs in one call: a JSON array of jobs, or {\"jobs\": [...]}.")
            .Accepts<JsonElement>("application/json").Produces(StatusCodes.Status202Accepted)
            .ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status413PayloadTooLarge);
        api.MapGet("/jobs/{id:long}", (long id, IJobClient client, CancellationToken ct) => GetAsync(id, client, web, ct))
            .WithName("GetJob").WithTags("jobs").WithSummary("One job (a job read token for it may be given as ?token=).")
            .WithMetadata(new JobTokenAccepted()).Produces<Job>().ProducesProblem(StatusCodes.Status404NotFound);
        api.MapGet("/jobs/{id:long}/why", async (long id, IJobClient client, CancellationToken ct) => Json(await client.WhyAsync(id, ct)))
            .WithName("WhyJob").WithTags("jobs")
            .WithSummary("Why the job is not running: waiting on dependencies, scheduled for later, queue paused, no worker for its queue or kind, or ready and waiting its turn.")
            .Produces<JobWhy>().ProducesProblem(StatusCodes.Status404NotFound);
        api.MapGet("/jobs", (HttpRequest request, IJobClient client, CancellationToken ct) => ListAsync(request, client, web, ct)).WithName("ListJobs").WithTags("jobs")
            .WithSummary("Jobs newest first, filtered by state, queue, kind, batch, tag, created time (from, to) and args (a JSON object they contain); limit (at most 500) and after page on.")
            .Produces(StatusCodes.Status200OK).ProducesProblem(StatusCodes.Status400BadRequest);
        api.MapPost("/jobs/{id:long}/cancel", (long id, IJobClient client, CancellationToken ct) => CancelAsync(id, client, web, ct)).WithName("CancelJob").WithTags("jobs")
            .WithSummary("Cancel a waiting job at once, or ask a running one to stop.").ProducesProblem(StatusCodes.Status404NotFound);
        api.MapPost("/jobs/{id:long}/retry", (long id, IJobClient client, CancellationToken ct) => RetryAsync(id, client, web, ct)).WithName("RetryJob").WithTags("jobs")
            .WithSummary("Run a failed or cancelled job again.").ProducesProblem(StatusCodes.Status404NotFound).ProducesProblem(StatusCodes.Status409Conflict);
        api.MapDelete("/jobs/{id:long}", DeleteAsync).WithName("DeleteJob").WithTags("jobs")
            .WithSummary("Delete a job that is not running (cancel a running one first).")
            .Produces(StatusCodes.Status204NoContent).ProducesProblem(StatusCodes.Status404NotFound).ProducesProblem(StatusCodes.Status409Conflict);
        api.MapPost("/jobs/{id:long}/token", (long id, IJobMonitor monitor, CancellationToken ct) => TokenAsync(id, monitor, web, ct)).WithName("IssueJobToken").WithTags("events")
            .WithSummary("A short-lived signed token that lets a browser follow this one job's events (GET /api/events?job=ID&token=...) without an API key.")
            .WithMetadata(new RequiredScope(ApiScope.Read)).ProducesProblem(StatusCodes.Status404NotFound);
        api.MapPost("/jobs/actions", (HttpRequest request, CancellationToken ct) => StartBulkAsync(request, web, ct)).WithName("StartBulkAction").WithTags("jobs")
            .WithSummary("Retry, cancel or delete every job a filter selects ({\"action\", \"filter\": {state, queue, kind, batch, tag, from, to, args}}), in batches on the server: 202 with the action's id.")
            .Accepts<JsonElement>("application/json").Produces(StatusCodes.Status202Accepted).ProducesProblem(StatusCodes.Status400BadRequest);
        api.MapGet("/jobs/actions/{actionId}", (string actionId) => web.Bulk.Get(actionId) is { } op ? Json(op)
                : Results.Problem(statusCode: StatusCodes.Status404NotFound, title: "Not found", detail: $"No bulk action '{actionId}' on this server."))
            .WithName("GetBulkAction").WithTags("jobs").WithSummary("A bulk action's progress: total, processed, changed, done.");
        api.MapGet("/events", (HttpContext context, IJobChangeFeed feed, CancellationToken ct) => EventStream.StreamAsync(context, web.Hub, feed, EventStream.ReadFilter(context.Request), ct))
            .WithName("Events").WithTags("events")
            .WithSummary("Server-sent events of job changes (?job=ID, ?batch=ID or ?queue=Q; none: all). Each event's id resumes the stream as Last-Event-ID.")
            .WithMetadata(new JobTokenAccepted()).Produces(StatusCodes.Status200OK, contentType: "text/event-stream");
        api.MapGet("/queues", QueuesAsync).WithName("ListQueues").WithTags("queues").WithSummary("Counts by state per queue and the oldest waiting job's age.");
        api.MapPost("/queues/{queue}/pause", (string queue, IJobAdminStore admin, CancellationToken ct) => PauseAsync(queue, true, admin, ct))
            .WithName("PauseQueue").WithTags("queues").WithSummary("Stop handing out the queue's jobs (they stay, and new ones are accepted).");
        api.MapPost("/queues/{queue}/resume", (string queue, IJobAdminStore admin, CancellationToken ct) => PauseAsync(queue, false, admin, ct))
            .WithName("ResumeQueue").WithTags("queues").WithSummary("Hand out the queue's jobs again.");
        api.MapPut("/queues/{queue}/limits", SetLimitsAsync)
            .WithName("SetQueueLimits").WithTags("queues")
            .WithSummary("Replace the queue's limits: {concurrency, perKey, rate: \"10/1s\"} (absent or null: none; {} clears). Checked in every claim, across all workers.");
        api.MapGet("/stats/throughput", (HttpRequest request, IJobMonitor monitor, CancellationToken ct) => ThroughputAsync(request, monitor, web, ct))
            .WithName("Throughput").WithTags("queues")
            .WithSummary("Completed and failed jobs per minute over the last ?minutes= (default 60, at most 1440), all queues or ?queue=; from maintained counts.");
        api.MapPost("/batches", EnqueueBatchAsync).WithName("EnqueueBatch").WithTags("batches")
            .WithSummary("Enqueue many jobs as one batch: {\"jobs\": [...], \"id\", \"onComplete\", \"onSuccess\", \"onFailure\"} (callbacks {kind, args, queue}, enqueued once when the last job ends); 202 with the batch id and Location.")
            .Accepts<JsonElement>("application/json").Produces(StatusCodes.Status202Accepted).ProducesProblem(StatusCodes.Status400BadRequest);
        api.MapGet("/batches/{batchId}", async (string batchId, IJobClient client, CancellationToken ct) =>
                await client.BatchAsync(batchId, ct) is { } batch ? Json(BatchView.From(batch))
                    : Results.Problem(statusCode: StatusCodes.Status404NotFound, title: "Batch not found", detail: $"No job has batch id '{batchId}'."))
            .WithName("GetBatch").WithTags("batches").WithSummary("A batch's jobs by state and their mean progress (live: GET /api/events?batch=ID).")
            .ProducesProblem(StatusCodes.Status404NotFound);
        ScheduleEndpoints.Map(api, (value, status) => Json(value, status));
        SourceEndpoints.Map(api, (value, status) => Json(value, status));
        WorkerProtocol.Map(api, (value, status) => Json(value, status));
        api.MapGet("/workers", WorkersAsync).WithName("ListWorkers").WithTags("workers").WithSummary("Worker processes as they last reported.");
        endpoints.MapGet("/healthz", () => Json(new { status = "ok" })).WithName("Health").WithTags("health").WithSummary("The process is alive.");
        endpoints.MapGet("/readyz", ReadyAsync).WithName("Ready").WithTags("health").WithSummary("The store answers (503 with the reason when not).");
        return api;
    }

    private static IResult Json(object value, int status = StatusCodes.Status200OK) =>
        Results.Json(value, ConveyorJson.Options, statusCode: status);

    /// <summary>
    /// Reads a JSON body of at most <paramref name="maxBytes"/>: a declared length over it is refused before anything is
    /// read, and a chunked body is cut off where it passes it (413 either way). JSON nested deeper than 64 is 400.
    /// </summary>
    internal static async Task<JsonElement> ReadBodyAsync(HttpRequest request, long maxBytes, CancellationToken ct)
    {
        if (request.ContentLength is { } length && length > maxBytes)
            throw new RequestTooLargeException($"Request body is {length} bytes; the limit is {maxBytes} bytes.");
        if (request.HttpContext.Features.Get<Microsoft.AspNetCore.Http.Features.IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } limit)
            limit.MaxRequestBodySize = maxBytes;
        try
        {
            using var document = await JsonDocument.ParseAsync(request.Body, new JsonDocumentOptions { MaxDepth = 64 }, ct);
            return document.RootElement.Clone();
        }
        catch (JsonException ex)
        {
            throw new JobValidationException($"Request body is not valid JSON: {ex.Message}");
        }
        catch (BadHttpRequestException ex) when (ex.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            throw new RequestTooLargeException($"Request body is larger than {maxBytes} bytes.");
        }
    }

    /// <summary>202 Accepted with the job and its Location; a duplicate is 200 with the job that holds the unique key.</summary>
    private static async Task<IResult> EnqueueAsync(HttpRequest request, IJobClient client, IOptions<ConveyorOptions> options, CancellationToken ct)
    {
        var job = JobRequestReader.Read(await ReadBodyAsync(request, options.Value.MaxArgsBytes + SingleJobOverheadBytes, ct), request.Headers.TraceParent);
        var result = (await client.EnqueueManyAsync([job], null, ct))[0];
        var state = (await client.GetAsync(result.Id, ct))?.State;
        var body = new EnqueueResponse(result.Id, state, result.Duplicate);
        if (result.Duplicate)
            return Json(body);
        return new WithLocation(Json(body, StatusCodes.Status202Accepted), $"{request.PathBase}/api/jobs/{result.Id}");
    }

    private static async Task<IResult> EnqueueBulkAsync(HttpRequest request, IJobClient client, CancellationToken ct)
    {
        var body = await ReadBodyAsync(request, MaxBulkBodyBytes, ct);
        var array = body.ValueKind == JsonValueKind.Array ? body
            : body.ValueKind == JsonValueKind.Object && body.TryGetProperty("jobs", out var jobs) && jobs.ValueKind == JsonValueKind.Array ? jobs
            : throw new JobValidationException("A bulk enqueue is a JSON array of jobs, or {\"jobs\": [...]}.");
        var count = array.GetArrayLength();
        if (count == 0)
            throw new JobValidationException("A bulk enqueue needs at least one job.");
        if (count > MaxBulkJobs)
            throw new JobValidationException($"A bulk enqueue takes at most {MaxBulkJobs} jobs (got {count}).");
        var requests = new List<JobRequest>(count);
        var index = 0;
        foreach (var item in array.EnumerateArray())
        {
            try
            {
                requests.Add(JobRequestReader.Read(item, request.Headers.TraceParent));
            }
            catch (JobValidationException ex)
            {
                throw new JobValidationException($"Job {index}: {ex.Message}");
            }
            index++;
        }
        var results = await client.EnqueueManyAsync(requests, null, ct);
        return Json(new { jobs = results.Select(r => new { id = r.Id, duplicate = r.Duplicate }) }, StatusCodes.Status202Accepted);
    }

    private static async Task<IResult> EnqueueBatchAsync(HttpRequest request, IJobClient client, CancellationToken ct)
    {
        var body = await ReadBodyAsync(request, MaxBulkBodyBytes, ct);
        if (body.ValueKind != JsonValueKind.Object || !body.TryGetProperty("jobs", out var jobs) || jobs.ValueKind != JsonValueKind.Array)
            throw new JobValidationException("A batch is {\"jobs\": [...]} with an optional \"id\".");
        var id = body.TryGetProperty("id", out var given) && given.ValueKind != JsonValueKind.Null
            ? given.ValueKind == JsonValueKind.String ? given.GetString() : throw new JobValidationException("Field \"id\" must be a string.")
            : null;
        var count = jobs.GetArrayLength();
        if (count > MaxBulkJobs)
            throw new JobValidationException($"A batch takes at most {MaxBulkJobs} jobs in one call (got {count}).");
        var requests = jobs.EnumerateArray().Select((item, index) =>
        {
            try
            {
                return JobRequestReader.Read(item, request.Headers.TraceParent);
            }
            catch (JobValidationException ex)
            {
                throw new JobValidationException($"Job {index}: {ex.Message}");
            }
        }).ToList();
        BatchCallback? Callback(string name)
        {
            if (!body.TryGetProperty(name, out var c) || c.ValueKind == JsonValueKind.Null)
                return null;
            if (c.ValueKind != JsonValueKind.Object || !c.TryGetProperty("kind", out var kind) || kind.ValueKind != JsonValueKind.String)
                throw new JobValidationException($"Field \"{name}\" must be {{\"kind\", \"args\", \"queue\"}}.");
            var queue = c.TryGetProperty("queue", out var q) && q.ValueKind == JsonValueKind.String ? q.GetString() : null;
            return new BatchCallback(kind.GetString()!, c.TryGetProperty("args", out var a) && a.ValueKind != JsonValueKind.Null ? a.GetRawText() : null, queue);
        }
        var callbacks = new BatchCallbacks(Callback("onComplete"), Callback("onSuccess"), Callback("onFailure"));
        var result = await client.EnqueueBatchAsync(requests, id, callbacks, ct);
        return new WithLocation(Json(new { batchId = result.BatchId, jobs = result.Jobs.Select(r => new { id = r.Id, duplicate = r.Duplicate }) }, StatusCodes.Status202Accepted),
            $"{request.PathBase}/api/batches/{Uri.EscapeDataString(result.BatchId)}");
    }

    private static async Task<IResult> GetAsync(long id, IJobClient client, ConveyorWeb web, CancellationToken ct)
    {
        var job = await client.GetAsync(id, ct) ?? throw new JobNotFoundException(id);
        return Json(web.Redactor.Apply(job));
    }

    private static async Task<IResult> ListAsync(HttpRequest request, IJobClient client, ConveyorWeb web, CancellationToken ct)
    {
        var q = request.Query;
        var limit = ParseLong(q["limit"], "limit") ?? 50;
        if (limit < 1)
            throw new JobValidationException($"Limit must be at least 1 (got {limit}).");
        limit = Math.Min(limit, MaxPageSize);
        var query = JobFilterReader.FromQuery(q) with { Limit = (int)limit, AfterId = ParseLong(q["after"], "after") };
        var jobs = web.Redactor.Apply(await client.ListAsync(query, ct));
        return Json(new JobPage(jobs, jobs.Count == query.Limit ? jobs[^1].Id : null));
    }

    private static async Task<IResult> CancelAsync(long id, IJobClient client, ConveyorWeb web, CancellationToken ct)
    {
        var result = await client.CancelAsync(id, ct);
        if (result.Outcome == CancelOutcome.NotFound)
            throw new JobNotFoundException(id);
        var job = await client.GetAsync(id, ct);
        return Json(new { outcome = result.Outcome, job = job is null ? null : web.Redactor.Apply(job) });
    }

    private static async Task<IResult> RetryAsync(long id, IJobClient client, ConveyorWeb web, CancellationToken ct)
    {
        var result = await client.RetryAsync(id, ct);
        switch (result.Outcome)
        {
            case RetryOutcome.NotFound:
                throw new JobNotFoundException(id);
            case RetryOutcome.NotRetryable:
                return Results.Problem(statusCode: StatusCodes.Status409Conflict, title: "Job cannot be retried",
                    detail: $"Job {id} is {result.State?.ToName()}; only failed and cancelled jobs can be retried.");
        }
        var job = await client.GetAsync(id, ct);
        return Json(new { outcome = result.Outcome, job = job is null ? null : web.Redactor.Apply(job) });
    }

    private static async Task<IResult> DeleteAsync(long id, IJobClient client, CancellationToken ct) => await client.DeleteAsync(id, ct) switch
    {
        DeleteOutcome.Deleted => Results.NoContent(),
        DeleteOutcome.Running => Results.Problem(statusCode: StatusCodes.Status409Conflict, title: "Job cannot be deleted",
            detail: $"Job {id} is running; a running job cannot be deleted. Cancel it first."),
        _ => throw new JobNotFoundException(id),
    };

    private static async Task<IResult> TokenAsync(long id, IJobMonitor monitor, ConveyorWeb web, CancellationToken ct)
    {
        _ = await monitor.JobGetAsync(id, ct) ?? throw new JobNotFoundException(id);
        var (token, expires) = web.Tokens.Issue(id, web.Options.TokenLifetime);
        return Json(new { token, expiresAt = expires, events = $"/api/events?job={id}&token={Uri.EscapeDataString(token)}" });
    }

    private static async Task<IResult> StartBulkAsync(HttpRequest request, ConveyorWeb web, CancellationToken ct)
    {
        var body = await ReadBodyAsync(request, 64 * 1024, ct);
        if (body.ValueKind != JsonValueKind.Object || !body.TryGetProperty("action", out var actionElement) || actionElement.ValueKind != JsonValueKind.String)
            throw new JobValidationException("A bulk action is {\"action\": \"retry\"|\"cancel\"|\"delete\", \"filter\": {...}}.");
        var action = actionElement.GetString() switch
        {
            "retry" => JobBulkAction.Retry,
            "cancel" => JobBulkAction.Cancel,
            "delete" => JobBulkAction.Delete,
            var other => throw new JobValidationException($"Unknown bulk action '{other}'; use retry, cancel or delete."),
        };
        var filter = body.TryGetProperty("filter", out var f) ? JobFilterReader.FromJson(f) : new JobQuery();
        var operation = web.Bulk.Start(action, filter, web.Stopping);
        return new WithLocation(Json(operation, StatusCodes.Status202Accepted), $"{request.PathBase}/api/jobs/actions/{operation.Id}");
    }

    private static async Task<IResult> ThroughputAsync(HttpRequest request, IJobMonitor monitor, ConveyorWeb web, CancellationToken ct)
    {
        var minutes = ParseLong(request.Query["minutes"], "minutes") ?? 60;
        if (minutes is < 1 or > 1440)
            throw new JobValidationException($"Query parameter 'minutes' must be between 1 and 1440 (got {minutes}).");
        var now = web.Time.GetUtcNow();
        var first = new DateTimeOffset(now.Year, now.Month, now.Day, now.Hour, now.Minute, 0, TimeSpan.Zero).AddMinutes(1 - minutes);
        var queue = Empty(request.Query["queue"]);
        var points = (await monitor.ThroughputAsync(new ThroughputParams(first, queue), ct)).ToDictionary(p => p.Minute);
        // Every minute of the window, zero where nothing finished, so a chart needs no gap logic.
        return Json(Enumerable.Range(0, (int)minutes).Select(i => first.AddMinutes(i))
            .Select(m => points.TryGetValue(m, out var p) ? p : new ThroughputPoint(m, 0, 0)).ToList());
    }

    private static async Task<IResult> PauseAsync(string queue, bool paused, IJobAdminStore admin, CancellationToken ct)
    {
        JobValidation.ValidateQueue(queue);
        var changed = await admin.QueuePauseAsync(new QueuePauseParams(queue, paused), ct);
        return Json(new { queue, paused, changed });
    }

    private static async Task<IResult> SetLimitsAsync(string queue, JsonElement body, IJobClient client, CancellationToken ct)
    {
        JobValidation.ValidateQueue(queue);
        var limits = LimitsView.Read(body);
        var previous = await client.SetQueueLimitsAsync(queue, limits, ct);
        return Json(new { queue, limits = LimitsView.From(limits), previous = LimitsView.From(previous) });
    }

    private static async Task<IResult> QueuesAsync(IJobClient client, CancellationToken ct)
    {
        var queues = await client.QueuesAsync(ct);
        return Json(queues.Select(QueueView.From).ToList());
    }

    private static async Task<IResult> WorkersAsync(IWorkerRegistry workers, StoreReadiness readiness, CancellationToken ct)
    {
        await readiness.EnsureReadyAsync(ct);
        return Json(await workers.WorkerListAsync(new WorkerListParams(), ct));
    }

    /// <summary>Ready when the store answers: 200, else 503 with the reason.</summary>
    private static async Task<IResult> ReadyAsync(IServiceProvider services, CancellationToken ct)
    {
        var store = services.GetRequiredService<IConveyorStore>();
        try
        {
            await services.GetRequiredService<IJobClient>().QueuesAsync(ct);
            return Json(new { status = "ready", store = store.Description });
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            return Json(new { status = "unavailable", store = store.Description, error = ex.Message }, StatusCodes.Status503ServiceUnavailable);
        }
    }

    /// <summary>A query value, or null when it is missing or empty.</summary>
    internal static string? Empty(string? value) => string.IsNullOrEmpty(value) ? null : value;

    private static long? ParseLong(string? value, string name)
    {
        if (string.IsNullOrEmpty(value))
            return null;
        return long.TryParse(value, out var n) ? n : throw new JobValidationException($"Query parameter '{name}' must be a whole number (got '{value}').");
    }

    /// <summary>Turns bad input into 400/404 problem details and an unreachable store into 503, so no handler repeats that mapping.</summary>
    private sealed class ProblemFilter : IEndpointFilter
    {
        public async ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
        {
            try
            {
                return await next(context);
            }
            catch (JobNotFoundException ex)
            {
                return Results.Problem(statusCode: StatusCodes.Status404NotFound, title: "Job not found", detail: ex.Message);
            }
            catch (Scheduling.ScheduleNotFoundException ex)
            {
                return Results.Problem(statusCode: StatusCodes.Status404NotFound, title: "Schedule not found", detail: ex.Message);
            }
            catch (Sources.TableSourceNotFoundException ex)
            {
                return Results.Problem(statusCode: StatusCodes.Status404NotFound, title: "Table source not found", detail: ex.Message);
            }
            catch (LeaseNotHeldException ex)
            {
                return Results.Problem(statusCode: StatusCodes.Status409Conflict, title: "Lease not held", detail: ex.Message);
            }
            catch (Exception ex) when (ex is RequestTooLargeException or JobTooLargeException)
            {
                return Results.Problem(statusCode: StatusCodes.Status413PayloadTooLarge, title: "Too large", detail: ex.Message);
            }
            catch (JobValidationException ex)
            {
                return Results.Problem(statusCode: StatusCodes.Status400BadRequest, title: "Invalid request", detail: ex.Message);
            }
            catch (StoreUnavailableException ex)
            {
                return Results.Problem(statusCode: StatusCodes.Status503ServiceUnavailable, title: "Store unavailable", detail: ex.Message);
            }
        }
    }

    /// <summary>A request body over its limit.</summary>
    private sealed class RequestTooLargeException(string message) : Exception(message);

    /// <summary>Adds a Location header to another result.</summary>
    private sealed class WithLocation(IResult inner, string location) : IResult
    {
        public Task ExecuteAsync(HttpContext httpContext)
        {
            httpContext.Response.Headers.Location = location;
            return inner.ExecuteAsync(httpContext);
        }
    }
}
