using System.Text.Json;
using Conveyor.Storage;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace Conveyor.Web;

/// <summary>Maps Conveyor's HTTP API into any ASP.NET Core app.</summary>
public static class ConveyorEndpoints
{
    /// <summary>Largest accepted request body (a bulk enqueue of many jobs). Individual args are limited by MaxArgsBytes.</summary>
    private const long MaxBodyBytes = 64L * 1024 * 1024;
    private const int MaxBulkJobs = 10_000;

    /// <summary>
    /// Maps Conveyor's HTTP API: jobs, queues and health. Errors are RFC 7807 problem details.
    /// With <paramref name="apiKey"/> set, every /api route needs <c>Authorization: Bearer KEY</c> or <c>X-Api-Key: KEY</c>.
    /// </summary>
    public static IEndpointRouteBuilder MapConveyor(this IEndpointRouteBuilder endpoints, string? apiKey = null)
    {
        var api = endpoints.MapGroup("/api");
        if (!string.IsNullOrEmpty(apiKey))
            api.AddEndpointFilter(new ApiKeyFilter(apiKey));
        api.AddEndpointFilter<ProblemFilter>();

        api.MapPost("/jobs", EnqueueAsync);
        api.MapPost("/jobs/bulk", EnqueueBulkAsync);
        api.MapGet("/jobs/{id:long}", GetAsync);
        api.MapGet("/jobs", ListAsync);
        api.MapPost("/jobs/{id:long}/cancel", CancelAsync);
        api.MapPost("/jobs/{id:long}/retry", RetryAsync);
        api.MapGet("/queues", QueuesAsync);
        api.MapGet("/workers", WorkersAsync);
        endpoints.MapGet("/healthz", HealthAsync);
        return endpoints;
    }

    private static IResult Json(object value, int status = StatusCodes.Status200OK) =>
        Results.Json(value, ConveyorJson.Options, statusCode: status);

    private static async Task<JsonElement> ReadBodyAsync(HttpRequest request, CancellationToken ct)
    {
        if (request.ContentLength is > MaxBodyBytes)
            throw new JobValidationException($"Request body is larger than {MaxBodyBytes} bytes.");
        try
        {
            using var document = await JsonDocument.ParseAsync(request.Body, cancellationToken: ct);
            return document.RootElement.Clone();
        }
        catch (JsonException ex)
        {
            throw new JobValidationException($"Request body is not valid JSON: {ex.Message}");
        }
    }

    private static async Task<IResult> EnqueueAsync(HttpRequest request, IJobClient client, CancellationToken ct)
    {
        var job = JobRequestReader.Read(await ReadBodyAsync(request, ct));
        var result = (await client.EnqueueManyAsync([job], null, ct))[0];
        return Results.Json(new EnqueueResponse(result.Id, result.Duplicate), ConveyorJson.Options,
            statusCode: result.Duplicate ? StatusCodes.Status200OK : StatusCodes.Status201Created);
    }

    private static async Task<IResult> EnqueueBulkAsync(HttpRequest request, IJobClient client, CancellationToken ct)
    {
        var body = await ReadBodyAsync(request, ct);
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
                requests.Add(JobRequestReader.Read(item));
            }
            catch (JobValidationException ex)
            {
                throw new JobValidationException($"Job {index}: {ex.Message}");
            }
            index++;
        }
        var results = await client.EnqueueManyAsync(requests, null, ct);
        return Json(new { jobs = results.Select(r => new EnqueueResponse(r.Id, r.Duplicate)) }, StatusCodes.Status201Created);
    }

    private static async Task<IResult> GetAsync(long id, IJobClient client, CancellationToken ct)
    {
        var job = await client.GetAsync(id, ct) ?? throw new JobNotFoundException(id);
        return Json(job);
    }

    private static async Task<IResult> ListAsync(HttpRequest request, IJobClient client, CancellationToken ct)
    {
        var q = request.Query;
        JobState? state = null;
        if (q.TryGetValue("state", out var stateText) && !string.IsNullOrEmpty(stateText))
        {
            state = JobStateNames.TryParse(stateText, out var s) ? s
                : throw new JobValidationException($"Unknown state '{stateText}'; use one of {string.Join(", ", JobStateNames.All.Select(x => x.ToName()))}.");
        }
        var limit = ParseLong(q["limit"], "limit") ?? 50;
        if (limit is < 1 or > 1000)
            throw new JobValidationException($"Limit must be between 1 and 1000 (got {limit}).");
        var query = new JobQuery { State = state, Queue = Empty(q["queue"]), Kind = Empty(q["kind"]), BatchId = Empty(q["batch"]), Limit = (int)limit, AfterId = ParseLong(q["after"], "after") };
        var jobs = await client.ListAsync(query, ct);
        return Json(new JobPage(jobs, jobs.Count == query.Limit ? jobs[^1].Id : null));
    }

    private static async Task<IResult> CancelAsync(long id, IJobClient client, CancellationToken ct)
    {
        var result = await client.CancelAsync(id, ct);
        if (result.Outcome == CancelOutcome.NotFound)
            throw new JobNotFoundException(id);
        var job = await client.GetAsync(id, ct);
        return Json(new { outcome = result.Outcome, job });
    }

    private static async Task<IResult> RetryAsync(long id, IJobClient client, CancellationToken ct)
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
        return Json(new { outcome = result.Outcome, job = await client.GetAsync(id, ct) });
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

    private static async Task<IResult> HealthAsync(IServiceProvider services, CancellationToken ct)
    {
        var store = services.GetRequiredService<IConveyorStore>();
        try
        {
            await services.GetRequiredService<IJobClient>().QueuesAsync(ct);
            return Json(new { status = "ok", store = store.Description });
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            return Json(new { status = "unavailable", store = store.Description, error = ex.Message }, StatusCodes.Status503ServiceUnavailable);
        }
    }

    private static string? Empty(string? value) => string.IsNullOrEmpty(value) ? null : value;

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

    private sealed class ApiKeyFilter(string apiKey) : IEndpointFilter
    {
        public ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
        {
            var headers = context.HttpContext.Request.Headers;
            var given = headers["X-Api-Key"].ToString();
            var authorization = headers.Authorization.ToString();
            if (authorization.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
                given = authorization["Bearer ".Length..].Trim();
            if (!System.Security.Cryptography.CryptographicOperations.FixedTimeEquals(
                    System.Text.Encoding.UTF8.GetBytes(given), System.Text.Encoding.UTF8.GetBytes(apiKey)))
            {
                return ValueTask.FromResult<object?>(Results.Problem(statusCode: StatusCodes.Status401Unauthorized, title: "Unauthorized",
                    detail: "This Conveyor API needs an API key: send 'Authorization: Bearer KEY' or 'X-Api-Key: KEY'."));
            }
            return next(context);
        }
    }
}
