using System.Text.Json;
using System.Text.Json.Nodes;

namespace Conveyor.Web;

/// <summary>Replaces the sensitive args fields of a job (per kind, see <see cref="ConveyorWebOptions.Redact"/>) before it is sent anywhere.</summary>
internal sealed class ArgsRedactor(IReadOnlyDictionary<string, List<string[]>> redactions)
{
    public const string Mask = "[redacted]";

    public Job Apply(Job job)
    {
        if (!redactions.TryGetValue(job.Kind, out var paths) || job.Args.ValueKind != JsonValueKind.Object)
            return job;
        var args = JsonNode.Parse(job.Args.GetRawText())!;
        foreach (var path in paths)
            MaskPath(args, path, 0);
        return job with { Args = JsonSerializer.SerializeToElement(args) };
    }

    public IReadOnlyList<Job> Apply(IReadOnlyList<Job> jobs) => redactions.Count == 0 ? jobs : [.. jobs.Select(Apply)];

    private static void MaskPath(JsonNode? node, string[] path, int depth)
    {
        switch (node)
        {
            case JsonObject obj when obj.ContainsKey(path[depth]):
                if (depth == path.Length - 1)
                    obj[path[depth]] = Mask;
                else
                    MaskPath(obj[path[depth]], path, depth + 1);
                break;
            case JsonArray array: // a path through an array applies to each element
                foreach (var item in array)
                    MaskPath(item, path, depth);
                break;
        }
    }
}
