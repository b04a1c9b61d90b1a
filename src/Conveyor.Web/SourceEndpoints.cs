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
        var fields = new JsonFields(body, Known, "A table source is a JSON object: {table, statusColumn, fromStatus, toStatus, kind, ...}.");
        return new TableSourceDefinition
        {
            Name = name,
            Table = fields.Required("table"),
            StatusColumn = fields.Required("statusColumn"),
            FromStatus = fields.Required("fromStatus"),
            ToStatus = fields.Required("toStatus"),
            Kind = fields.Required("kind"),
            KeyColumn = fields.Text("key") ?? "id",
            Columns = fields.Strings("columns"),
            Queue = fields.Text("queue") ?? "default",
            Priority = fields.Number("priority") ?? 0,
            MaxAttempts = fields.Number("maxAttempts"),
            Interval = fields.Duration("every") ?? TimeSpan.FromSeconds(5),
            BatchSize = fields.Number("batchSize") ?? 100,
        };
    }
}
