using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace Conveyor;

/// <summary>Bad input: a clear message, and nothing was changed.</summary>
public class JobValidationException(string message) : ArgumentException(message);

/// <summary>Input over a size limit (args over <c>MaxArgsBytes</c>): the HTTP API answers 413.</summary>
public sealed class JobTooLargeException(string message) : JobValidationException(message);

/// <summary>The kind has no handler in this process and strict kinds are on.</summary>
public sealed class UnknownJobKindException(string kind)
    : JobValidationException($"Unknown job kind '{kind}': no handler for it is registered in this process.")
{
    /// <summary>The kind asked for.</summary>
    public string Kind { get; } = kind;
}

/// <summary>The checks every enqueue path shares (C#, HTTP, CLI), so that they all refuse the same input.</summary>
internal static partial class JobValidation
{
    /// <summary>The longest kind, queue or batch id.</summary>
    public const int MaxNameLength = 200;

    [GeneratedRegex("^[A-Za-z0-9][A-Za-z0-9_.:-]*$")]
    private static partial Regex NamePattern();

    /// <summary>Throws <see cref="JobValidationException"/> unless <paramref name="kind"/> is a valid kind name.</summary>
    public static void ValidateKind(string? kind) => ValidateName(kind, "kind");

    /// <summary>Throws <see cref="JobValidationException"/> unless <paramref name="queue"/> is a valid queue name.</summary>
    public static void ValidateQueue(string? queue) => ValidateName(queue, "queue");

    private static void ValidateName(string? value, string what) => ValidateNameText(value, "Job " + what);

    /// <summary>Throws <see cref="JobValidationException"/> unless <paramref name="value"/> is a valid name (letters, digits, . _ : -).</summary>
    internal static void ValidateNameText(string? value, string what)
    {
        if (string.IsNullOrWhiteSpace(value))
            throw new JobValidationException($"{what} must not be empty.");
        if (value.Length > MaxNameLength)
            throw new JobValidationException($"{what} '{value[..20]}...' is longer than {MaxNameLength} characters.");
        if (!NamePattern().IsMatch(value))
            throw new JobValidationException($"{what} '{value}' may only hold letters, digits and . _ : - (and must start with a letter or digit).");
    }

    /// <summary>Checks that <paramref name="json"/> is one well-formed JSON value within the size limit; returns it compacted.</summary>
    public static string ValidateArgs(string? json, int maxBytes)
    {
        if (string.IsNullOrWhiteSpace(json))
            return "{}";
        var bytes = Encoding.UTF8.GetByteCount(json);
        if (bytes > maxBytes)
            throw new JobTooLargeException($"Job args are {bytes} bytes; the limit is {maxBytes} bytes.");
        try
        {
            using var document = JsonDocument.Parse(json);
            return JsonSerializer.Serialize(document.RootElement);
        }
        catch (JsonException ex)
        {
            throw new JobValidationException($"Job args are not valid JSON: {ex.Message}");
        }
    }

    /// <summary>An args search: a JSON object of at most 4 KiB whose field names hold no double quote.</summary>
    public static void ValidateArgsFilter(string json)
    {
        if (Encoding.UTF8.GetByteCount(json) > 4096)
            throw new JobValidationException("An args search is at most 4096 bytes of JSON.");
        try
        {
            using var document = JsonDocument.Parse(json, new JsonDocumentOptions { MaxDepth = 16 });
            if (document.RootElement.ValueKind != JsonValueKind.Object)
                throw new JobValidationException("An args search is a JSON object, such as {\"user\":{\"id\":7}}.");
            CheckNames(document.RootElement);
        }
        catch (JsonException ex)
        {
            throw new JobValidationException($"The args search is not valid JSON: {ex.Message}");
        }

        static void CheckNames(JsonElement element)
        {
            foreach (var field in element.EnumerateObject())
            {
                if (field.Name.Contains('"') || field.Name.Length == 0)
                    throw new JobValidationException($"An args search field name may not be empty or hold a double quote ('{field.Name}').");
                if (field.Value.ValueKind == JsonValueKind.Object)
                    CheckNames(field.Value);
            }
        }
    }

    /// <summary>Throws <see cref="JobValidationException"/> naming the first bad enqueue option.</summary>
    public static void ValidateOptions(EnqueueOptions options)
    {
        if (options.MaxAttempts is < 1)
            throw new JobValidationException($"Max attempts must be at least 1 (got {options.MaxAttempts}).");
        if (options.Delay is { } delay && delay < TimeSpan.Zero)
            throw new JobValidationException($"Delay must not be negative (got {delay}).");
        if (options.RunAt is not null && options.Delay is not null)
            throw new JobValidationException("Give either a run-at time or a delay, not both.");
        if (options.Timeout is { } timeout && timeout <= TimeSpan.Zero)
            throw new JobValidationException($"Timeout must be positive (got {timeout}).");
        if (options.Priority is < -1000 or > 1000)
            throw new JobValidationException($"Priority must be between -1000 and 1000 (got {options.Priority}).");
        if (options.UniqueKey is { Length: > 1000 })
            throw new JobValidationException("Unique key is longer than 1000 characters.");
        if (options.ConcurrencyKey is { } key && (key.Length is 0 or > 1000))
            throw new JobValidationException(key.Length == 0 ? "Concurrency key is empty (leave it out for none)." : "Concurrency key is longer than 1000 characters.");
        if (options.BatchId is { } batch)
            ValidateName(batch, "batch id");
        if (options.Queue is not null)
            ValidateQueue(options.Queue);
        foreach (var tag in options.Tags ?? [])
        {
            if (string.IsNullOrWhiteSpace(tag) || tag.Length > 100)
                throw new JobValidationException($"Tag '{tag}' must be 1 to 100 characters.");
        }
        if (options.TraceParent is { } traceParent && !System.Diagnostics.ActivityContext.TryParse(traceParent, null, out _))
            throw new JobValidationException($"Trace parent '{traceParent}' is not a W3C traceparent (00-<32 hex>-<16 hex>-<2 hex>).");
        if (options.Weight is { } weight && !(weight > 0 && weight <= 1_000_000))
            throw new JobValidationException($"Weight must be above 0 and at most 1,000,000 (got {weight}).");
    }
}
