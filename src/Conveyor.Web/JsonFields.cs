using System.Text.Json;

namespace Conveyor.Web;

/// <summary>
/// The fields of a JSON request object, read with one wording of errors for every definition a PUT takes (schedules,
/// sources): an unknown field is refused, a wrong type names the field and what it must be.
/// </summary>
internal readonly struct JsonFields
{
    private readonly JsonElement _body;

    /// <summary>Checks that <paramref name="body"/> is an object holding only <paramref name="known"/> fields.</summary>
    public JsonFields(JsonElement body, IReadOnlySet<string> known, string shape)
    {
        if (body.ValueKind != JsonValueKind.Object)
            throw new JobValidationException(shape);
        foreach (var property in body.EnumerateObject())
        {
            if (!known.Contains(property.Name))
                throw new JobValidationException($"Unknown field \"{property.Name}\"; known fields: {string.Join(", ", known)}.");
        }
        _body = body;
    }

    private bool TryGet(string field, out JsonElement value) => _body.TryGetProperty(field, out value) && value.ValueKind != JsonValueKind.Null;

    public string? Text(string field) => TryGet(field, out var v)
        ? v.ValueKind == JsonValueKind.String ? v.GetString() : throw new JobValidationException($"Field \"{field}\" must be a string.")
        : null;

    public string Required(string field) => Text(field) ?? throw new JobValidationException($"Field \"{field}\" is required.");

    public int? Number(string field) => TryGet(field, out var v)
        ? v.ValueKind == JsonValueKind.Number && v.TryGetInt32(out var n) ? n : throw new JobValidationException($"Field \"{field}\" must be a whole number.")
        : null;

    public bool? Bool(string field) => TryGet(field, out var v)
        ? v.ValueKind switch { JsonValueKind.True => true, JsonValueKind.False => false, _ => throw new JobValidationException($"Field \"{field}\" must be true or false.") }
        : null;

    /// <summary>Raw JSON of any value, or null.</summary>
    public string? Raw(string field) => TryGet(field, out var v) ? v.GetRawText() : null;

    public IReadOnlyList<string>? Strings(string field) => TryGet(field, out var v)
        ? v.ValueKind == JsonValueKind.Array && v.EnumerateArray().All(e => e.ValueKind == JsonValueKind.String)
            ? [.. v.EnumerateArray().Select(e => e.GetString()!)]
            : throw new JobValidationException($"Field \"{field}\" must be an array of strings.")
        : null;

    /// <summary>A duration as "10s"/"5m" text or a number of seconds.</summary>
    public TimeSpan? Duration(string field) => TryGet(field, out var v)
        ? v.ValueKind == JsonValueKind.Number ? TimeSpan.FromSeconds(v.GetDouble())
            : v.ValueKind == JsonValueKind.String ? Durations.Parse(v.GetString()!, $"Field \"{field}\"")
            : throw new JobValidationException($"Field \"{field}\" must be a duration such as \"10s\" or a number of seconds.")
        : null;

    public T Enum<T>(string field, T fallback) where T : struct, System.Enum => Text(field) is { } text
        ? System.Enum.TryParse<T>(text, ignoreCase: true, out var value) && System.Enum.IsDefined(value) ? value
            : throw new JobValidationException($"Field \"{field}\" must be one of {string.Join(", ", System.Enum.GetNames<T>().Select(n => n.ToLowerInvariant()))}.")
        : fallback;
}
