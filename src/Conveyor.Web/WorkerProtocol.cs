using System.Text.Json;
using Conveyor.Execution;
using Conveyor.Storage;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Conveyor.Web;

/// <summary>
/// Version 1 of the external-worker protocol (docs/worker-protocol.md): claim with a long-poll, then heartbeat, progress,
/// complete, fail or hand back, each fenced by the lease (job id, attempt, worker id) exactly as a .NET worker's writes
/// are. Every route needs the <c>worker</c> scope when keys are configured.
/// </summary>
internal static class WorkerProtocol
{
    /// <summary>The protocol version these routes speak (the <c>Conveyor-Protocol</c> header of every answer).</summary>
    public const string Version = "1";

    public const int MaxClaim = 100;
    public static readonly TimeSpan MaxWait = TimeSpan.FromSeconds(30);
    /// <summary>A long-poll looks again this often even without a wake-up (a scheduled job coming due notifies nobody).</summary>
    private static readonly TimeSpan Recheck = TimeSpan.FromSeconds(1);

    private static readonly RequiredScope Worker = new(ApiScope.Worker);

    public static void Map(RouteGroupBuilder api, Func<object, int, IResult> json)
    {
        var presence = new RemoteWorkerPresence();
        var routes = api.MapGroup("").WithMetadata(Worker).WithTags("workers")
            .AddEndpointFilter(async (context, next) =>
            {
                context.HttpContext.Response.Headers["Conveyor-Protocol"] = Version;
                return await next(context);
            });
        routes.MapPost("/queues/{queue}/claim", (string queue, HttpRequest request, CancellationToken ct) => ClaimAsync(queue, request, presence, json, ct))
            .WithName("ClaimJobs")
            .WithSummary("External workers: claim up to max ready jobs of the queue, waiting up to waitSeconds (at most 30) for one: {workerId, max, waitSeconds} -> {jobs: [{id, kind, queue, args, attempt, maxAttempts, leaseUntil, lease}]}.");
        routes.MapPost("/jobs/{id:long}/heartbeat", (long id, HttpRequest request, CancellationToken ct) => HeartbeatAsync(id, request, presence, json, ct))
            .WithName("HeartbeatJob").WithSummary("Extend the lease: {workerId, lease} -> {leaseUntil, cancelRequested}; 409 when the worker no longer holds the job.");
        routes.MapPost("/jobs/{id:long}/progress", (long id, HttpRequest request, CancellationToken ct) => ProgressAsync(id, request, json, ct))
            .WithName("ReportProgress").WithSummary("Report progress: {workerId, lease, percent, stage, done, total}.");
        routes.MapPost("/jobs/{id:long}/complete", (long id, HttpRequest request, CancellationToken ct) => CompleteAsync(id, request, json, ct))
            .WithName("CompleteJob").WithSummary("End the attempt with a result: {workerId, lease, result}.");
        routes.MapPost("/jobs/{id:long}/fail", (long id, HttpRequest request, CancellationToken ct) => FailAsync(id, request, json, ct))
            .WithName("FailJob").WithSummary("End the attempt with an error: {workerId, lease, error: text or {type, message, stack}, retry (default true)}; retried with back-off while attempts remain.");
        routes.MapPost("/jobs/{id:long}/handback", (long id, HttpRequest request, CancellationToken ct) => HandBackAsync(id, request, json, ct))
            .WithName("HandBackJob").WithSummary("Give the job back unfinished (a worker shutting down): queued again at once, the attempt not charged.");
    }

    private sealed record Report(string WorkerId, JsonFields Fields, JsonElement Body);

    private static readonly HashSet<string> ClaimFields = new(StringComparer.Ordinal) { "workerId", "max", "waitSeconds", "host", "pid", "concurrency", "running", "kinds" };

    private static async Task<Report> ReadAsync(HttpRequest request, IReadOnlySet<string> known, CancellationToken ct)
    {
        var body = await ConveyorEndpoints.ReadBodyAsync(request, 1024 * 1024, ct);
        var fields = new JsonFields(body, known, "A worker request is a JSON object with at least \"workerId\".");
        var workerId = fields.Required("workerId");
        JobValidation.ValidateNameText(workerId, "Worker id");
        return new Report(workerId, fields, body);
    }

    private static async Task<IResult> ClaimAsync(string queue, HttpRequest request, RemoteWorkerPresence presence, Func<object, int, IResult> json, CancellationToken ct)
    {
        JobValidation.ValidateQueue(queue);
        var report = await ReadAsync(request, ClaimFields, ct);
        var max = report.Fields.Number("max") ?? 1;
        if (max is < 1 or > MaxClaim)
            throw new JobValidationException($"Field \"max\" must be between 1 and {MaxClaim} (got {max}).");
        var wait = report.Fields.Duration("waitSeconds") ?? TimeSpan.Zero;
        if (wait < TimeSpan.Zero || wait > MaxWait)
            throw new JobValidationException($"Field \"waitSeconds\" must be between 0 and {MaxWait.TotalSeconds} (got {wait.TotalSeconds}).");

        // Optional: the kinds this worker runs. Given, it is handed only those; a job of another kind waits for a worker that
        // knows it instead of being claimed and failed here.
        var kinds = report.Fields.Strings("kinds");
        if (kinds is not null)
        {
            if (kinds.Count == 0)
                throw new JobValidationException("Field \"kinds\" must name at least one kind (leave it out to take any).");
            foreach (var kind in kinds)
                JobValidation.ValidateKind(kind);
        }

        var services = request.HttpContext.RequestServices;
        var store = services.GetRequiredService<IJobExecutionStore>();
        var notifier = services.GetRequiredService<IConveyorStore>().Notifier;
        var lease = services.GetRequiredService<IOptions<ConveyorOptions>>().Value.Lease;
        var time = services.GetRequiredService<TimeProvider>();
        await services.GetRequiredService<StoreReadiness>().EnsureReadyAsync(ct);
        await notifier.StartAsync(ct);
        await presence.TouchAsync(services, new RemoteWorker(report.WorkerId, queue,
            report.Fields.Text("host") ?? request.HttpContext.Connection.RemoteIpAddress?.ToString() ?? "?",
            report.Fields.Number("pid") ?? 0, report.Fields.Number("concurrency") ?? max, report.Fields.Number("running") ?? 0,
            kinds is null ? null : string.Join(',', kinds.Order(StringComparer.Ordinal))), ct);

        // Subscribed before the first look, so that a job enqueued between the look and the wait still wakes it. No database
        // connection is held while it waits: only the claim statements use one.
        var woken = new SemaphoreSlim(0);
        using var subscription = notifier.Listen(NotifierTopics.JobsReady, payload =>
        {
            if (payload == queue || payload == "*")
                woken.Release();
        });
        var deadline = time.GetUtcNow() + wait;
        while (true)
        {
            var claimed = await store.JobClaimAsync(new JobClaimParams(report.WorkerId, [queue], max, lease, Kinds: kinds), ct);
            foreach (var job in claimed)
                services.GetService<Telemetry.ConveyorMetrics>()?.Started(job, time.GetUtcNow());
            var left = deadline - time.GetUtcNow();
            if (claimed.Count > 0 || left <= TimeSpan.Zero)
            {
                var leaseUntil = time.GetUtcNow() + lease;
                return json(new
                {
                    jobs = claimed.Select(j => new
                    {
                        id = j.Id, kind = j.Kind, queue = j.Queue, args = ConveyorJson.ParseElement(j.Args), attempt = j.Attempt, maxAttempts = j.MaxAttempts,
                        leaseUntil, lease = LeaseToken(j.Id, j.Attempt), traceparent = j.TraceParent,
                    }),
                }, StatusCodes.Status200OK);
            }
            await woken.WaitAsync(left < Recheck ? left : Recheck, ct);
        }
    }

    private static readonly HashSet<string> HeartbeatFields = new(StringComparer.Ordinal) { "workerId", "lease" };

    private static async Task<IResult> HeartbeatAsync(long id, HttpRequest request, RemoteWorkerPresence presence, Func<object, int, IResult> json, CancellationToken ct)
    {
        var report = await ReadAsync(request, HeartbeatFields, ct);
        var (services, jobLease) = await HeldAsync(id, report, request, ct);
        await presence.TouchAsync(services, report.WorkerId, ct);
        var lease = services.GetRequiredService<IOptions<ConveyorOptions>>().Value.Lease;
        var result = await services.GetRequiredService<IJobExecutionStore>().JobHeartbeatAsync(new JobHeartbeatParams(report.WorkerId, [jobLease], lease), ct);
        if (result.Lost.Count > 0)
            throw NotHeld(id, report.WorkerId);
        return json(new { leaseUntil = services.GetRequiredService<TimeProvider>().GetUtcNow() + lease, cancelRequested = result.CancelRequested.Count > 0 }, StatusCodes.Status200OK);
    }

    private static readonly HashSet<string> ProgressFields = new(StringComparer.Ordinal) { "workerId", "lease", "percent", "stage", "done", "total" };

    private static async Task<IResult> ProgressAsync(long id, HttpRequest request, Func<object, int, IResult> json, CancellationToken ct)
    {
        var report = await ReadAsync(request, ProgressFields, ct);
        var f = report.Fields;
        var percent = f.Number("percent");
        if (percent is < 0 or > 100)
            throw new JobValidationException($"Field \"percent\" must be between 0 and 100 (got {percent}).");
        long? Long(string field) => report.Body.TryGetProperty(field, out var v) && v.ValueKind != JsonValueKind.Null
            ? v.ValueKind == JsonValueKind.Number && v.TryGetInt64(out var n) && n >= 0 ? n : throw new JobValidationException($"Field \"{field}\" must be a whole number, 0 or more.")
            : null;
        var (done, total) = (Long("done"), Long("total"));
        if (percent is null && done is not null && total is > 0)
            percent = (int)Math.Clamp(done.Value * 100 / total.Value, 0, 100);
        var stage = f.Text("stage");
        if (stage is { Length: > 200 })
            throw new JobValidationException("Field \"stage\" is longer than 200 characters.");
        var (services, lease) = await HeldAsync(id, report, request, ct);
        var written = await services.GetRequiredService<IJobExecutionStore>().JobProgressAsync(
            new JobProgressParams(id, lease.Attempt, report.WorkerId, new JobProgress(percent, stage, done, total)), ct);
        return written ? json(new { id, written = true }, StatusCodes.Status200OK) : throw NotHeld(id, report.WorkerId);
    }

    private static readonly HashSet<string> CompleteFields = new(StringComparer.Ordinal) { "workerId", "lease", "result" };

    private static async Task<IResult> CompleteAsync(long id, HttpRequest request, Func<object, int, IResult> json, CancellationToken ct)
    {
        var report = await ReadAsync(request, CompleteFields, ct);
        var result = report.Fields.Raw("result");
        var (services, lease) = await HeldAsync(id, report, request, ct);
        if (result is not null)
            JobValidation.ValidateArgs(result, services.GetRequiredService<IOptions<ConveyorOptions>>().Value.MaxArgsBytes);
        return await ApplyAsync(services, AttemptOutcome.Completed(lease, report.WorkerId, result), json, ct);
    }

    private static readonly HashSet<string> FailFields = new(StringComparer.Ordinal) { "workerId", "lease", "error", "retry" };

    private static async Task<IResult> FailAsync(long id, HttpRequest request, Func<object, int, IResult> json, CancellationToken ct)
    {
        var report = await ReadAsync(request, FailFields, ct);
        var retry = report.Fields.Bool("retry") ?? true;
        var (services, lease) = await HeldAsync(id, report, request, ct);
        var job = await services.GetRequiredService<IJobMonitor>().JobGetAsync(id, ct) ?? throw new JobNotFoundException(id);
        var error = ReadError(report.Body, services.GetRequiredService<TimeProvider>().GetUtcNow(), lease.Attempt);
        var claimed = new ClaimedJob(job.Id, job.Queue, job.Kind, "{}", lease.Attempt, job.MaxAttempts, job.Priority, job.CreatedAt, job.BatchId, job.Timeout);
        // A job asked to cancel ends cancelled, as a .NET handler that stops on its token does.
        var outcome = job.CancelRequestedAt is not null
            ? AttemptOutcome.Cancelled(lease, report.WorkerId, error)
            : services.GetRequiredService<RetryPolicy>().Failed(claimed, report.WorkerId, error, retry);
        return await ApplyAsync(services, outcome, json, ct);
    }

    private static async Task<IResult> HandBackAsync(long id, HttpRequest request, Func<object, int, IResult> json, CancellationToken ct)
    {
        var report = await ReadAsync(request, HeartbeatFields, ct);
        var (services, lease) = await HeldAsync(id, report, request, ct);
        return await ApplyAsync(services, AttemptOutcome.HandedBack(lease, report.WorkerId), json, ct);
    }

    private static async Task<IResult> ApplyAsync(IServiceProvider services, AttemptOutcome outcome, Func<object, int, IResult> json, CancellationToken ct)
    {
        var applied = await services.GetRequiredService<IJobExecutionStore>().JobApplyOutcomesAsync(new JobApplyOutcomesParams([outcome]), ct);
        services.GetService<Telemetry.ConveyorMetrics>()?.Applied([outcome], applied);
        return applied.Count == 1
            ? json(new { id = outcome.Lease.Id, state = applied[0].State }, StatusCodes.Status200OK)
            : throw NotHeld(outcome.Lease.Id, outcome.WorkerId);
    }

    /// <summary>
    /// The attempt the report is about: from its lease token when it gives one (the strict fence: a late report of an earlier
    /// attempt of the same worker is refused), else the job's current attempt, provided this worker holds it.
    /// </summary>
    private static async Task<(IServiceProvider Services, JobLease Lease)> HeldAsync(long id, Report report, HttpRequest request, CancellationToken ct)
    {
        var services = request.HttpContext.RequestServices;
        await services.GetRequiredService<StoreReadiness>().EnsureReadyAsync(ct);
        if (report.Fields.Text("lease") is { } token)
        {
            var parts = token.Split('.');
            if (parts.Length != 2 || !long.TryParse(parts[0], out var leaseJob) || !int.TryParse(parts[1], out var attempt) || leaseJob != id)
                throw new JobValidationException($"Field \"lease\" must be the lease the claim gave for job {id} (\"{id}.ATTEMPT\").");
            return (services, new JobLease(id, attempt));
        }
        var job = await services.GetRequiredService<IJobMonitor>().JobGetAsync(id, ct) ?? throw new JobNotFoundException(id);
        if (job.State != JobState.Running || job.WorkerId != report.WorkerId)
            throw NotHeld(id, report.WorkerId);
        return (services, new JobLease(id, job.Attempt));
    }

    private static string LeaseToken(long id, int attempt) => $"{id}.{attempt}";

    private static JobError ReadError(JsonElement body, DateTimeOffset now, int attempt)
    {
        if (!body.TryGetProperty("error", out var error) || error.ValueKind == JsonValueKind.Null)
            return new JobError(now, attempt, "Error", "The worker reported a failure without an error.");
        static string Cut(string? text, int max) => text is null ? "" : text.Length <= max ? text : text[..max];
        if (error.ValueKind == JsonValueKind.String)
            return new JobError(now, attempt, "Error", Cut(error.GetString(), 4000));
        var fields = new JsonFields(error, new HashSet<string>(StringComparer.Ordinal) { "type", "message", "stack" }, "Field \"error\" must be a text or {type, message, stack}.");
        return new JobError(now, attempt, Cut(fields.Text("type") ?? "Error", 200), Cut(fields.Text("message") ?? "", 4000), fields.Text("stack") is { } stack ? Cut(stack, 4000) : null);
    }

    private static LeaseNotHeldException NotHeld(long id, string workerId) =>
        new($"Worker '{workerId}' does not hold job {id}: it was rescued after a missed heartbeat, cancelled, finished, or claimed by another worker.");
}

/// <summary>
/// What an external worker said of itself in its latest claim. Its kinds are comma-joined in order (a string, so that an
/// unchanged report compares equal), or null: any.
/// </summary>
internal sealed record RemoteWorker(string Id, string Queue, string Host, int Pid, int Concurrency, int Running, string? Kinds);

/// <summary>
/// Keeps external workers in the workers registry (the dashboard's workers page, GET /api/workers) as .NET workers keep
/// themselves: refreshed by their claims and heartbeats, at most every 5 s each; the rescuer ages out one that went quiet.
/// </summary>
internal sealed class RemoteWorkerPresence
{
    private static readonly TimeSpan Every = TimeSpan.FromSeconds(5);
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, (RemoteWorker Worker, DateTimeOffset Written)> _seen = new(StringComparer.Ordinal);

    public Task TouchAsync(IServiceProvider services, RemoteWorker worker, CancellationToken ct)
    {
        // What it says of itself changed (another queue, its running count): written now; else at most every 5 s.
        var unchanged = _seen.TryGetValue(worker.Id, out var last) && last.Worker == worker;
        return WriteAsync(services, worker, unchanged ? last.Written : null, ct);
    }

    public Task TouchAsync(IServiceProvider services, string workerId, CancellationToken ct) =>
        _seen.TryGetValue(workerId, out var last) ? WriteAsync(services, last.Worker, last.Written, ct) : Task.CompletedTask;

    private async Task WriteAsync(IServiceProvider services, RemoteWorker worker, DateTimeOffset? written, CancellationToken ct)
    {
        var now = services.GetRequiredService<TimeProvider>().GetUtcNow();
        if (written is { } at && now - at < Every)
            return;
        _seen[worker.Id] = (worker, now);
        await services.GetRequiredService<IWorkerRegistry>().WorkerUpsertAsync(
            new WorkerUpsertParams(worker.Id, worker.Host, worker.Pid, [worker.Queue], Math.Max(1, worker.Concurrency), worker.Running,
                Kinds: worker.Kinds?.Split(',')), ct);
    }
}

/// <summary>A worker reported on a job it does not hold (HTTP 409).</summary>
internal sealed class LeaseNotHeldException(string message) : Exception(message);
