using System.Text.Json;

namespace Conveyor.Storage;

/// <summary>
/// Encodes a batch of outcomes, heartbeats or rows as one JSON array parameter, so that a store can apply
/// the whole batch in one statement (SQLite <c>json_each</c>, PostgreSQL <c>jsonb_to_recordset</c>).
/// </summary>
public static class BatchJson
{
    public static string Finishes(IReadOnlyList<JobFinish> finishes, Func<DateTimeOffset, string> time)
    {
        using var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartArray();
            foreach (var f in finishes)
            {
                w.WriteStartObject();
                w.WriteNumber("id", f.Id);
                w.WriteNumber("attempt", f.Attempt);
                w.WriteString("worker", f.WorkerId);
                w.WriteString("state", f.State.ToName());
                w.WriteString("at", time(f.At));
                WriteOptional(w, "result", f.Result);
                WriteOptional(w, "error", f.Error is null ? null : JsonSerializer.Serialize(f.Error, ConveyorJson.Options));
                WriteOptional(w, "run_at", f.RunAt is { } runAt ? time(runAt) : null);
                w.WriteNumber("refund", f.RefundAttempt ? 1 : 0);
                if (f.Progress is { } p)
                {
                    w.WriteNumber("has_progress", 1);
                    WriteOptional(w, "progress", p.Percent);
                    WriteOptional(w, "progress_stage", p.Stage);
                    WriteOptional(w, "progress_done", p.Done);
                    WriteOptional(w, "progress_total", p.Total);
                }
                else
                {
                    w.WriteNumber("has_progress", 0);
                }
                w.WriteEndObject();
            }
            w.WriteEndArray();
        }
        return System.Text.Encoding.UTF8.GetString(buffer.ToArray());
    }

    public static string Leases(IReadOnlyList<JobLease> leases)
    {
        using var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartArray();
            foreach (var lease in leases)
            {
                w.WriteStartObject();
                w.WriteNumber("id", lease.Id);
                w.WriteNumber("attempt", lease.Attempt);
                w.WriteEndObject();
            }
            w.WriteEndArray();
        }
        return System.Text.Encoding.UTF8.GetString(buffer.ToArray());
    }

    public static string Strings(IEnumerable<string> values) => JsonSerializer.Serialize(values);

    private static void WriteOptional(Utf8JsonWriter w, string name, string? value)
    {
        if (value is null) w.WriteNull(name);
        else w.WriteString(name, value);
    }

    private static void WriteOptional(Utf8JsonWriter w, string name, long? value)
    {
        if (value is null) w.WriteNull(name);
        else w.WriteNumber(name, value.Value);
    }
}
