using System.Text.Json;
using Conveyor.Sources;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Conveyor.Web;

/// <summary>The /api/sources routes (table sources, PostgreSQL): reads need read; every change needs admin.</summary>
internal static class SourceEndpoints
{
    private static readonly RequiredScope Admin = new(ApiScope.Admin);

    public static void Map(RouteGroupBuilder api, Func<object, int, IResult> json)
    {
        api.MapGet("/sources", async (ITableSourceClient sources, CancellationToken ct) =>
                json((await sources.ListAsync(ct)).Select(SourceView.From).ToList(), StatusCodes.Status200OK))
            .WithName("ListSources").WithTags("sources").WithSummary("Every table source, with when it last ran and how many rows it moved.");
        api.MapPut("/sources/{name}", async (string name, HttpRequest request, ITableSourceClient sources, CancellationToken ct) =>
            {
                var body = await ConveyorEndpoints.ReadBodyAsync(request, 64 * 1024, ct);
                return json(SourceView.From(await sources.UpsertAsync(SourceRequest.Read(name, body), ct)), StatusCodes.Status200OK);
            })
            .WithName("PutSource").WithTags("sources").WithMetadata(Admin)
            .WithSummary("Create or redefine a table source: {table, statusColumn, fromStatus, toStatus, kind, key, columns, queue, priority, maxAttempts, every, batchSize}. The table and columns must exist.")
            .Accepts<JsonElement>("application/json").ProducesProblem(StatusCodes.Status400BadRequest);
        api.MapDelete("/sources/{name}", async (string name, ITableSourceClient sources, CancellationToken ct) =>
                await sources.DeleteAsync(name, ct) ? Results.NoContent() : throw new TableSourceNotFoundException(name))
            .WithName("DeleteSource").WithTags("sources").WithMetadata(Admin).WithSummary("Remove a table source (its jobs stay).");
        api.MapPost("/sources/{name}/run", async (string name, ITableSourceClient sources, CancellationToken ct) =>
                json(new { name, moved = await sources.RunAsync(name, ct) }, StatusCodes.Status200OK))
            .WithName("RunSource").WithTags("sources").WithMetadata(Admin).WithSummary("Run a table source once now: how many rows it moved and enqueued.");
    }
}

/// <summary>The HTTP shape of a table source (durations in seconds), as PUT takes it plus what it has done.</summary>
internal sealed record SourceView(string Name, string Table, string Key, string StatusColumn, string FromStatus, string ToStatus, string Kind,
    IReadOnlyList<string> Columns, string Queue, int Priority, int? MaxAttempts, double Every, int BatchSize,
    DateTimeOffset? LastPolledAt, int LastMoved, long TotalMoved)
{
    public static SourceView From(TableSourceInfo s)
    {
        var d = s.Definition;
        return new(d.Name, d.Table, d.KeyColumn, d.StatusColumn, d.FromStatus, d.ToStatus, d.Kind, d.ArgsColumns, d.Queue, d.Priority,
            d.MaxAttempts, d.Interval.TotalSeconds, d.BatchSize, s.LastPolledAt, s.LastMoved, s.TotalMoved);
    }
}

/// <summary>Reads a table source from a PUT body.</summary>
internal static class SourceRequest
{
    private static readonly HashSet<string> Known = new(StringComparer.Ordinal)
    {
        "table", "statusColumn", "fromStatus", "toStatus", "kind", "key", "columns", "queue", "priority", "maxAttempts", "every", "batchSize",
    };

    public static TableSourceDefinition Read(string name, JsonElement body)
    {
        if (body.ValueKind != JsonValueKind.Object)
            throw new JobValidationException("A table source is a JSON object: {table, statusColumn, fromStatus, toStatus, kind, ...}.");
        foreach (var property in body.EnumerateObject())
        {
            if (!Known.Contains(property.Name))
                throw new JobValidationException($"Unknown field \"{property.Name}\"; known fields: {string.Join(", ", Known)}.");
        }
        string? Text(string field) => body.TryGetProperty(field, out var v) && v.ValueKind != JsonValueKind.Null
            ? v.ValueKind == JsonValueKind.String ? v.GetString() : throw new JobValidationException($"Field \"{field}\" must be a string.")
            : null;
        string Required(string field) => Text(field) ?? throw new JobValidationException($"Field \"{field}\" is required.");
        int? Number(string field) => body.TryGetProperty(field, out var v) && v.ValueKind != JsonValueKind.Null
            ? v.ValueKind == JsonValueKind.Number && v.TryGetInt32(out var n) ? n : throw new JobValidationException($"Field \"{field}\" must be a whole number.")
            : null;
        return new TableSourceDefinition
        {
            Name = name,
            Table = Required("table"),
            StatusColumn = Required("statusColumn"),
            FromStatus = Required("fromStatus"),
            ToStatus = Required("toStatus"),
            Kind = Required("kind"),
            KeyColumn = Text("key") ?? "id",
            Columns = body.TryGetProperty("columns", out var columns) && columns.ValueKind == JsonValueKind.Array
                ? [.. columns.EnumerateArray().Select(c => c.ValueKind == JsonValueKind.String ? c.GetString()! : throw new JobValidationException("Field \"columns\" must be an array of column names."))]
                : null,
            Queue = Text("queue") ?? "default",
            Priority = Number("priority") ?? 0,
            MaxAttempts = Number("maxAttempts"),
            Interval = body.TryGetProperty("every", out var every) && every.ValueKind == JsonValueKind.Number ? TimeSpan.FromSeconds(every.GetDouble())
                : Text("every") is { } text ? Durations.Parse(text, "Field \"every\"") : TimeSpan.FromSeconds(5),
            BatchSize = Number("batchSize") ?? 100,
        };
    }
}
