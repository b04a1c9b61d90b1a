using System.Text.Json;
using System.Text.Json.Serialization;

namespace Conveyor;

/// <summary>
/// The one JSON shape Conveyor speaks everywhere (handler args, results, HTTP, CLI --json):
/// camelCase, enums as lower-case strings, durations as "hh:mm:ss".
/// </summary>
public static class ConveyorJson
{
    /// <summary>The serializer options behind that shape.</summary>
    public static JsonSerializerOptions Options { get; } = Create();

    private static JsonSerializerOptions Create()
    {
        var options = new JsonSerializerOptions(JsonSerializerDefaults.Web)
        {
            DefaultIgnoreCondition = JsonIgnoreCondition.Never,
        };
        options.Converters.Add(new JsonStringEnumConverter(JsonNamingPolicy.CamelCase));
        options.MakeReadOnly(populateMissingResolver: true);
        return options;
    }

    /// <summary>Parses raw JSON text into a detached element; throws <see cref="JsonException"/> when malformed.</summary>
    public static JsonElement ParseElement(string json)
    {
        using var document = JsonDocument.Parse(json);
        return document.RootElement.Clone();
    }
}
