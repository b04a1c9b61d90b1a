using System.Text.Json;

namespace Conveyor.Web;

/// <summary>The HTTP shape of a job list page: newest first, <c>next</c> is the <c>after</c> of the next page.</summary>
internal sealed record JobPage(IReadOnlyList<Job> Jobs, long? Next);

/// <summary>The HTTP shape of queue statistics.</summary>
internal sealed record QueueView(string Queue, IReadOnlyDictionary<string, long> Counts, double? OldestWaitingSeconds, bool Paused,
    LimitsView Limits, DateTimeOffset? RateLimitedUntil)
{
    public static QueueView From(QueueStats stats) => new(
        stats.Queue,
        JobStateNames.All.ToDictionary(s => s.ToName(), stats.Count),
        stats.OldestWaitingAge?.TotalSeconds,
        stats.Paused,
        LimitsView.From(stats.Limits),
        stats.RateLimitedUntil);
}

/// <summary>The HTTP shape of queue limits: <c>{"concurrency": 4, "perKey": 2, "rate": "10/1s"}</c>, null where none.</summary>
internal sealed record LimitsView(int? Concurrency, int? PerKey, string? Rate)
{
    private static readonly HashSet<string> Known = new(StringComparer.Ordinal) { "concurrency", "perKey", "rate" };

    public static LimitsView From(QueueLimits limits) => new(limits.Concurrency, limits.PerKey, limits.Rate?.ToString());

    /// <summary>Reads a PUT body: every field optional (absent or null: no such limit), unknown fields refused; ranges are the store's to check.</summary>
    public static QueueLimits Read(JsonElement body)
    {
        var fields = new JsonFields(body, Known, "Limits are a JSON object: {\"concurrency\": 4, \"perKey\": 2, \"rate\": \"10/1s\"} (absent or null: none).");
        return new QueueLimits(fields.Number("concurrency"), fields.Number("perKey"), fields.Text("rate") is { } rate ? QueueRate.Parse(rate) : null);
    }
}

/// <summary>What an enqueue answers: the job's id, its state, and whether it was already there (a held unique key).</summary>
internal sealed record EnqueueResponse(long Id, JobState? State, bool Duplicate);

/// <summary>
/// Reads a job request from a JSON object: <c>{"kind", "args", "queue", "priority", "maxAttempts", "runAt", "delay", "uniqueKey",
/// "concurrencyKey", "tags", "batchId", "timeout", "dependsOn", "ref", "weight", "traceparent"}</c> (a request's W3C
/// <c>traceparent</c> header applies to each job that gives none). <c>dependsOn</c> holds job ids, refs of
/// other jobs in the same request (strings), or <c>{"id"|"ref", "onFailure": "fail"|"ignore"}</c> objects.
/// </summary>
internal static class JobRequestReader
{
    private static readonly HashSet<string> Known = new(StringComparer.Ordinal)
    {
        "kind", "args", "queue", "priority", "maxAttempts", "runAt", "delay", "uniqueKey", "concurrencyKey", "tags", "batchId", "timeout",
        "dependsOn", "ref", "weight", "traceparent",
    };

    public static JobRequest Read(JsonElement body, string? traceParentHeader = null)
    {
        if (body.ValueKind != JsonValueKind.Object)
            throw new JobValidationException("A job must be a JSON object with at least \"kind\".");
        foreach (var property in body.EnumerateObject())
        {
            if (!Known.Contains(property.Name))
                throw new JobValidationException($"Unknown field \"{property.Name}\"; known fields: {string.Join(", ", Known)}.");
        }
        var kind = String(body, "kind") ?? throw new JobValidationException("Field \"kind\" is required.");
        var args = body.TryGetProperty("args", out var a) && a.ValueKind != JsonValueKind.Null ? a.GetRawText() : null;
        var options = new EnqueueOptions
        {
            Queue = String(body, "queue"),
            Priority = Int(body, "priority"),
            MaxAttempts = Int(body, "maxAttempts"),
            RunAt = Time(body, "runAt"),
            Delay = Duration(body, "delay"),
            UniqueKey = String(body, "uniqueKey"),
            ConcurrencyKey = String(body, "concurrencyKey"),
            BatchId = String(body, "batchId"),
            Timeout = Duration(body, "timeout"),
            Tags = body.TryGetProperty("tags", out var tags) && tags.ValueKind == JsonValueKind.Array
                ? [.. tags.EnumerateArray().Select(t => t.ValueKind == JsonValueKind.String ? t.GetString()! : throw new JobValidationException("Field \"tags\" must be an array of strings."))]
                : null,
            DependsOn = DependsOn(body),
            Ref = String(body, "ref"),
            TraceParent = String(body, "traceparent") ?? (string.IsNullOrEmpty(traceParentHeader) ? null : traceParentHeader),
            Weight = body.TryGetProperty("weight", out var weight) && weight.ValueKind != JsonValueKind.Null
                ? weight.ValueKind == JsonValueKind.Number ? weight.GetDouble() : throw new JobValidationException("Field \"weight\" must be a number.")
                : null,
        };
        return new JobRequest(kind, args, options);
    }

    private static List<JobDependency>? DependsOn(JsonElement body)
    {
        if (!body.TryGetProperty("dependsOn", out var list) || list.ValueKind == JsonValueKind.Null)
            return null;
        const string Shape = "Field \"dependsOn\" must be an array of job ids, refs, or {\"id\" or \"ref\", \"onFailure\": \"fail\" or \"ignore\"}.";
        if (list.ValueKind != JsonValueKind.Array)
            throw new JobValidationException(Shape);
        return [.. list.EnumerateArray().Select(item => item.ValueKind switch
        {
            JsonValueKind.Number when item.TryGetInt64(out var id) => JobDependency.On(id),
            JsonValueKind.String when !string.IsNullOrWhiteSpace(item.GetString()) => JobDependency.OnRef(item.GetString()!),
            JsonValueKind.Object => Dependency(item, Shape),
            _ => throw new JobValidationException(Shape),
        })];
    }

    private static JobDependency Dependency(JsonElement item, string shape)
    {
        foreach (var property in item.EnumerateObject())
        {
            if (property.Name is not ("id" or "ref" or "onFailure"))
                throw new JobValidationException(shape);
        }
        var onFailure = String(item, "onFailure") switch
        {
            null or "fail" => DependencyFailure.Fail,
            "ignore" => DependencyFailure.Ignore,
            var other => throw new JobValidationException($"Field \"onFailure\" must be \"fail\" or \"ignore\" (got \"{other}\")."),
        };
        var id = item.TryGetProperty("id", out var idValue) && idValue.ValueKind == JsonValueKind.Number && idValue.TryGetInt64(out var n) ? n : (long?)null;
        var reference = String(item, "ref");
        return (id, reference) switch
        {
            ({ } jobId, null) => JobDependency.On(jobId, onFailure),
            (null, { Length: > 0 } r) => JobDependency.OnRef(r, onFailure),
            _ => throw new JobValidationException(shape),
        };
    }

    private static string? String(JsonElement body, string name)
    {
        if (!body.TryGetProperty(name, out var value) || value.ValueKind == JsonValueKind.Null)
            return null;
        return value.ValueKind == JsonValueKind.String ? value.GetString() : throw new JobValidationException($"Field \"{name}\" must be a string.");
    }

    private static int? Int(JsonElement body, string name)
    {
        if (!body.TryGetProperty(name, out var value) || value.ValueKind == JsonValueKind.Null)
            return null;
        return value.ValueKind == JsonValueKind.Number && value.TryGetInt32(out var n) ? n : throw new JobValidationException($"Field \"{name}\" must be a whole number.");
    }

    private static DateTimeOffset? Time(JsonElement body, string name)
    {
        var text = String(body, name);
        if (text is null)
            return null;
        return DateTimeOffset.TryParse(text, System.Globalization.CultureInfo.InvariantCulture, System.Globalization.DateTimeStyles.AssumeUniversal, out var time)
            ? time
            : throw new JobValidationException($"Field \"{name}\" must be an ISO-8601 time.");
    }

    /// <summary>A duration as "10s"/"5m" text or as a number of seconds.</summary>
    private static TimeSpan? Duration(JsonElement body, string name)
    {
        if (!body.TryGetProperty(name, out var value) || value.ValueKind == JsonValueKind.Null)
            return null;
        if (value.ValueKind == JsonValueKind.Number)
            return TimeSpan.FromSeconds(value.GetDouble());
        if (value.ValueKind == JsonValueKind.String)
            return Durations.Parse(value.GetString()!, $"Field \"{name}\"");
        throw new JobValidationException($"Field \"{name}\" must be a duration such as \"10s\" or a number of seconds.");
    }
}

/// <summary>Reads a job filter from a query string (GET /api/jobs) or a JSON object (a bulk action's filter), the same names in both.</summary>
internal static class JobFilterReader
{
    public static JobQuery FromQuery(Microsoft.AspNetCore.Http.IQueryCollection q) =>
        Build(name => q.TryGetValue(name, out var v) && !string.IsNullOrEmpty(v) ? v.ToString() : null);

    public static JobQuery FromJson(JsonElement filter)
    {
        if (filter.ValueKind == JsonValueKind.Null)
            return new JobQuery();
        if (filter.ValueKind != JsonValueKind.Object)
            throw new JobValidationException("A filter is a JSON object: {state, queue, kind, batch, tag, key, from, to, args}.");
        foreach (var property in filter.EnumerateObject())
        {
            if (property.Name is not ("state" or "queue" or "kind" or "batch" or "tag" or "key" or "from" or "to" or "args"))
                throw new JobValidationException($"Unknown filter field \"{property.Name}\"; known: state, queue, kind, batch, tag, key, from, to, args.");
        }
        return Build(name => filter.TryGetProperty(name, out var v) && v.ValueKind != JsonValueKind.Null
            ? name == "args" ? (v.ValueKind == JsonValueKind.Object ? v.GetRawText() : throw new JobValidationException("Filter \"args\" must be a JSON object."))
            : v.ValueKind == JsonValueKind.String ? v.GetString() : throw new JobValidationException($"Filter \"{name}\" must be a string.")
            : null);
    }

    private static JobQuery Build(Func<string, string?> get)
    {
        JobState? state = null;
        if (get("state") is { } stateText)
        {
            state = JobStateNames.TryParse(stateText, out var s) ? s
                : throw new JobValidationException($"Unknown state '{stateText}'; use one of {string.Join(", ", JobStateNames.All.Select(x => x.ToName()))}.");
        }
        var args = get("args");
        if (args is not null)
            JobValidation.ValidateArgsFilter(args);
        return new JobQuery
        {
            State = state, Queue = get("queue"), Kind = get("kind"), BatchId = get("batch"),
            Tag = get("tag"), ConcurrencyKey = get("key"),
            CreatedFrom = Time(get("from"), "from"),
            CreatedTo = Time(get("to"), "to"),
            ArgsContains = args,
        };
    }

    private static DateTimeOffset? Time(string? text, string name) =>
        text is null ? null
        : DateTimeOffset.TryParse(text, System.Globalization.CultureInfo.InvariantCulture, System.Globalization.DateTimeStyles.AssumeUniversal, out var time)
            ? time : throw new JobValidationException($"Filter \"{name}\" must be an ISO-8601 time (got '{text}').");
}

/// <summary>The HTTP shape of a batch's status.</summary>
internal sealed record BatchView(string BatchId, long Total, long Finished, bool Done, double Progress, IReadOnlyDictionary<string, long> Counts)
{
    public static BatchView From(BatchStatus b) => new(b.BatchId, b.Total, b.Finished, b.Done, b.Progress,
        JobStateNames.All.ToDictionary(s => s.ToName(), s => b.Counts.TryGetValue(s, out var n) ? n : 0));
}
