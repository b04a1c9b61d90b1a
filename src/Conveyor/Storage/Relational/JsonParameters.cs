using System.Text;
using System.Text.Json;

namespace Conveyor.Storage.Relational;

/// <summary>
/// Encodes many rows as one JSON array parameter, so that a statement handles a whole batch (SQLite
/// <c>json_each</c>, PostgreSQL <c>jsonb_to_recordset</c>) and both databases bind it the same way.
/// Durations are seconds; times are <see cref="StoreTime"/> text.
/// </summary>
internal static class JsonParameters
{
    public static string Jobs(IReadOnlyList<JobInsertRow> jobs) => Array(jobs, (w, j) =>
    {
        w.WriteString("queue", j.Queue);
        w.WriteString("kind", j.Kind);
        // Raw: args were validated (and compacted) by the client; the database parses them once, with the batch.
        w.WritePropertyName("args");
        w.WriteRawValue(j.Args, skipInputValidation: true);
        w.WriteNumber("priority", j.Priority);
        w.WriteNumber("max_attempts", j.MaxAttempts);
        Optional(w, "run_at", j.RunAt is { } runAt ? StoreTime.ToText(runAt) : null);
        Optional(w, "delay", j.Delay?.TotalSeconds);
        Optional(w, "unique_key", j.UniqueKey);
        Optional(w, "concurrency_key", j.ConcurrencyKey);
        Optional(w, "batch_id", j.BatchId);
        w.WriteStartArray("tags");
        foreach (var tag in j.Tags ?? [])
            w.WriteStringValue(tag);
        w.WriteEndArray();
        Optional(w, "timeout", j.Timeout?.TotalSeconds);
        if (j.DependsOn is { Count: > 0 })
            w.WriteBoolean("waiting", true);
        Optional(w, "weight", j.Weight);
        if (j.TraceParent is { } traceParent)
        {
            w.WritePropertyName("meta");
            w.WriteRawValue(Meta(traceParent), skipInputValidation: true);
        }
    });

    public static string Outcomes(IReadOnlyList<AttemptOutcome> outcomes) => Array(outcomes, (w, outcome) =>
    {
        var o = OutcomeRow.From(outcome);
        w.WriteNumber("id", o.Id);
        w.WriteNumber("attempt", o.Attempt);
        w.WriteString("worker", o.Worker);
        w.WriteString("state", o.State);
        Optional(w, "result", o.Result);
        Optional(w, "error", o.Error);
        Optional(w, "delay", o.Delay);
        w.WriteNumber("refund", o.Refund);
        w.WriteNumber("rescue", o.Rescue);
        w.WriteNumber("has_progress", o.HasProgress);
        Optional(w, "progress", o.Progress);
        Optional(w, "progress_stage", o.ProgressStage);
        Optional(w, "progress_done", o.ProgressDone);
        Optional(w, "progress_total", o.ProgressTotal);
    });

    public static string Leases(IReadOnlyList<JobLease> leases) => Array(leases, (w, l) =>
    {
        w.WriteNumber("id", l.Id);
        w.WriteNumber("attempt", l.Attempt);
    });

    public static string Strings(IEnumerable<string> values) => JsonSerializer.Serialize(values);

    /// <summary>A job's meta column: its trace parent (for <see cref="Jobs"/>' rows and PostgreSQL's COPY).</summary>
    public static string Meta(string traceParent) => JsonSerializer.Serialize(new Dictionary<string, string> { ["traceparent"] = traceParent });

    private static string Array<T>(IReadOnlyList<T> items, Action<Utf8JsonWriter, T> write)
    {
        var buffer = new System.Buffers.ArrayBufferWriter<byte>(256 * Math.Max(1, items.Count));
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartArray();
            foreach (var item in items)
            {
                w.WriteStartObject();
                write(w, item);
                w.WriteEndObject();
            }
            w.WriteEndArray();
        }
        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    private static void Optional(Utf8JsonWriter w, string name, string? value)
    {
        if (value is null) w.WriteNull(name);
        else w.WriteString(name, value);
    }

    private static void Optional(Utf8JsonWriter w, string name, double? value)
    {
        if (value is null) w.WriteNull(name);
        else w.WriteNumber(name, value.Value);
    }

    private static void Optional(Utf8JsonWriter w, string name, long? value)
    {
        if (value is null) w.WriteNull(name);
        else w.WriteNumber(name, value.Value);
    }
}
