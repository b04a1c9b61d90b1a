using System.Text.Json;
using Conveyor.Scheduling;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Conveyor.Web;

/// <summary>The /api/schedules routes: reads need read; every change needs admin.</summary>
internal static class ScheduleEndpoints
{
    private static readonly RequiredScope Admin = new(ApiScope.Admin);

    public static void Map(RouteGroupBuilder api, Func<object, int, IResult> json)
    {
        api.MapGet("/schedules", async (IScheduleClient schedules, CancellationToken ct) =>
                json((await schedules.ListAsync(ct)).Select(ScheduleView.From).ToList(), StatusCodes.Status200OK))
            .WithName("ListSchedules").WithTags("schedules").WithSummary("Every schedule with its next and last tick.");
        api.MapGet("/schedules/preview", (HttpRequest request) => Preview(request, json))
            .WithName("PreviewSchedule").WithTags("schedules")
            .WithSummary("The next ?count= (default 10, at most 100) ticks of ?cron= in ?tz= (default UTC), daylight-saving changes marked.");
        api.MapGet("/schedules/{name}", async (string name, int? limit, IScheduleClient schedules, CancellationToken ct) =>
            {
                var schedule = await schedules.GetAsync(name, ct) ?? throw new ScheduleNotFoundException(name);
                var history = await schedules.HistoryAsync(name, limit ?? 50, ct);
                return json(new { schedule = ScheduleView.From(schedule), history = history.Select(RunView.From) }, StatusCodes.Status200OK);
            })
            .WithName("GetSchedule").WithTags("schedules").WithSummary("One schedule and its latest ticks' fates (the ledger), newest first.")
            .ProducesProblem(StatusCodes.Status404NotFound);
        api.MapPut("/schedules/{name}", async (string name, HttpRequest request, IScheduleClient schedules, CancellationToken ct) =>
            {
                var body = await ConveyorEndpoints.ReadBodyAsync(request, 256 * 1024, ct);
                return json(ScheduleView.From(await schedules.UpsertAsync(ScheduleRequest.Read(name, body), ct)), StatusCodes.Status200OK);
            })
            .WithName("PutSchedule").WithTags("schedules").WithMetadata(Admin)
            .WithSummary("Create or redefine a schedule: {cron, kind, timeZone, args, queue, priority, maxAttempts, enabled, missed: once|all|skip, overlap: allow|skip, jitter}. Takes effect at its next tick.")
            .Accepts<JsonElement>("application/json").ProducesProblem(StatusCodes.Status400BadRequest);
        api.MapDelete("/schedules/{name}", async (string name, IScheduleClient schedules, CancellationToken ct) =>
                await schedules.DeleteAsync(name, ct) ? Results.NoContent() : throw new ScheduleNotFoundException(name))
            .WithName("DeleteSchedule").WithTags("schedules").WithMetadata(Admin).WithSummary("Remove a schedule and its ledger.");
        api.MapPost("/schedules/{name}/pause", (string name, IScheduleClient schedules, CancellationToken ct) => PauseAsync(name, true, schedules, json, ct))
            .WithName("PauseSchedule").WithTags("schedules").WithMetadata(Admin).WithSummary("Ticks are recorded as paused and run nothing.");
        api.MapPost("/schedules/{name}/resume", (string name, IScheduleClient schedules, CancellationToken ct) => PauseAsync(name, false, schedules, json, ct))
            .WithName("ResumeSchedule").WithTags("schedules").WithMetadata(Admin).WithSummary("Ticks run again.");
        api.MapPost("/schedules/{name}/trigger", async (string name, HttpRequest request, IScheduleClient schedules, CancellationToken ct) =>
            {
                var id = await schedules.TriggerAsync(name, ct);
                return json(new { id }, StatusCodes.Status202Accepted);
            })
            .WithName("TriggerSchedule").WithTags("schedules").WithMetadata(Admin).WithSummary("Run the schedule's job now (recorded as triggered).");
    }

    private static async Task<IResult> PauseAsync(string name, bool paused, IScheduleClient schedules, Func<object, int, IResult> json, CancellationToken ct)
    {
        var found = paused ? await schedules.PauseAsync(name, ct) : await schedules.ResumeAsync(name, ct);
        return found ? json(new { name, paused }, StatusCodes.Status200OK) : throw new ScheduleNotFoundException(name);
    }

    private static IResult Preview(HttpRequest request, Func<object, int, IResult> json)
    {
        var count = int.TryParse(request.Query["count"], out var n) ? n : 10;
        if (count is < 1 or > 100)
            throw new JobValidationException($"Query parameter 'count' must be between 1 and 100 (got {request.Query["count"]}).");
        var times = ScheduleTimes.Parse(request.Query["cron"], request.Query["tz"]);
        return json(times.Preview(DateTimeOffset.UtcNow, count).Select(p => new { utc = p.Utc, local = p.Local, offsetChanged = p.OffsetChanged }).ToList(), StatusCodes.Status200OK);
    }
}

/// <summary>A schedule over HTTP: its definition's fields and where it stands.</summary>
internal sealed record ScheduleView(
    string Name, string Cron, string TimeZone, string Kind, JsonElement Args, string? Queue, int Priority, int? MaxAttempts, bool Enabled,
    MissedTicks Missed, Overlap Overlap, double? JitterSeconds, DateTimeOffset? NextRunAt, DateTimeOffset? LastRunAt, bool Paused, DateTimeOffset UpdatedAt)
{
    public static ScheduleView From(ScheduleInfo s) => new(s.Definition.Name, s.Definition.Cron, s.Definition.TimeZone, s.Definition.Kind,
        ConveyorJson.ParseElement(s.Definition.Args), s.Definition.Queue, s.Definition.Priority, s.Definition.MaxAttempts, s.Definition.Enabled,
        s.Definition.Missed, s.Definition.Overlap, s.Definition.Jitter?.TotalSeconds, s.NextRunAt, s.LastRunAt, s.PausedAt is not null, s.UpdatedAt);
}

/// <summary>One ledger row over HTTP.</summary>
internal sealed record RunView(DateTimeOffset ScheduledFor, string Fate, long? JobId, DateTimeOffset RecordedAt)
{
    public static RunView From(ScheduleRun r) => new(r.ScheduledFor, r.Fate.ToString().ToLowerInvariant(), r.JobId, r.RecordedAt);
}

/// <summary>Reads a schedule definition from a PUT body.</summary>
internal static class ScheduleRequest
{
    private static readonly HashSet<string> Known = new(StringComparer.Ordinal)
    {
        "cron", "kind", "timeZone", "args", "queue", "priority", "maxAttempts", "enabled", "missed", "overlap", "jitter",
    };

    public static ScheduleDefinition Read(string name, JsonElement body)
    {
        var fields = new JsonFields(body, Known, "A schedule is a JSON object with at least \"cron\" and \"kind\".");
        return new ScheduleDefinition
        {
            Name = name,
            Cron = fields.Required("cron"),
            Kind = fields.Required("kind"),
            TimeZone = fields.Text("timeZone") ?? "UTC",
            Args = fields.Raw("args") ?? "{}",
            Queue = fields.Text("queue"),
            Priority = fields.Number("priority") ?? 0,
            MaxAttempts = fields.Number("maxAttempts"),
            Enabled = fields.Bool("enabled") ?? true,
            Missed = fields.Enum("missed", MissedTicks.Once),
            Overlap = fields.Enum("overlap", Overlap.Allow),
            Jitter = fields.Text("jitter") is { } jitter ? Durations.Parse(jitter, "Field \"jitter\"") : null,
        };
    }
}
