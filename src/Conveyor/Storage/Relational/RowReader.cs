using System.Data.Common;
using System.Text.Json;

namespace Conveyor.Storage.Relational;

/// <summary>
/// Reads rows by column name, for every store alike: ordinals are looked up once per result set, and the few
/// types that differ between databases (times) go through the dialect. Lists and errors arrive as JSON text,
/// durations as seconds, so that no store maps a row of its own.
/// </summary>
internal sealed class RowReader(DbDataReader reader, SqlDialect dialect)
{
    private readonly Dictionary<string, int> _ordinals = new(StringComparer.Ordinal);

    private int Ordinal(string column)
    {
        if (!_ordinals.TryGetValue(column, out var ordinal))
            _ordinals[column] = ordinal = reader.GetOrdinal(column);
        return ordinal;
    }

    public bool IsNull(string column) => reader.IsDBNull(Ordinal(column));
    // Typed getters, not GetValue: boxing every column of every claimed row showed up in the drain's allocations.
    public long Long(string column) => reader.GetInt64(Ordinal(column));
    public int Int(string column) => reader.GetInt32(Ordinal(column));
    public double Double(string column) => reader.GetDouble(Ordinal(column));
    public bool Bool(string column) => reader.GetBoolean(Ordinal(column));
    public string String(string column) => reader.GetString(Ordinal(column));
    public string? NullableString(string column) => IsNull(column) ? null : String(column);
    public long? NullableLong(string column) => IsNull(column) ? null : Long(column);
    public DateTimeOffset Time(string column) => dialect.ReadTime(reader, Ordinal(column));
    public DateTimeOffset? NullableTime(string column) => IsNull(column) ? null : Time(column);
    public TimeSpan? Seconds(string column) => IsNull(column) ? null : TimeSpan.FromSeconds(reader.GetDouble(Ordinal(column)));
    public JobState State(string column) => JobStateNames.Parse(String(column));
    public JobState? NullableState(string column) => IsNull(column) ? null : State(column);
    public IReadOnlyList<string> StringList(string column) => JsonSerializer.Deserialize<List<string>>(String(column)) ?? [];

    public ClaimedJob ClaimedJob() => new(
        Id: Long("id"),
        Queue: String("queue"),
        Kind: String("kind"),
        Args: String("args"),
        Attempt: Int("attempt"),
        MaxAttempts: Int("max_attempts"),
        Priority: Int("priority"),
        CreatedAt: Time("created_at"),
        BatchId: NullableString("batch_id"),
        Timeout: Seconds("timeout"),
        RunAt: NullableTime("run_at"),
        TraceParent: NullableString("traceparent"));

    public Job Job() => new()
    {
        Id = Long("id"),
        Queue = String("queue"),
        Kind = String("kind"),
        Args = ConveyorJson.ParseElement(String("args")),
        Result = IsNull("result") ? null : ConveyorJson.ParseElement(String("result")),
        State = State("state"),
        Priority = Int("priority"),
        Attempt = Int("attempt"),
        MaxAttempts = Int("max_attempts"),
        RunAt = Time("run_at"),
        CreatedAt = Time("created_at"),
        StartedAt = NullableTime("started_at"),
        FinishedAt = NullableTime("finished_at"),
        LeaseUntil = NullableTime("lease_until"),
        WorkerId = NullableString("worker_id"),
        Progress = Progress(),
        Errors = JsonSerializer.Deserialize<List<JobError>>(String("errors"), ConveyorJson.Options) ?? [],
        BatchId = NullableString("batch_id"),
        UniqueKey = NullableString("unique_key"),
        ConcurrencyKey = NullableString("concurrency_key"),
        Tags = StringList("tags"),
        Timeout = Seconds("timeout"),
        CancelRequestedAt = NullableTime("cancel_requested_at"),
        Weight = Double("weight"),
        TraceParent = NullableString("traceparent"),
    };

    public DependencyResult Dependency() => new(
        Long("id"), NullableString("kind"), NullableState("state"),
        NullableString("result") is { } result ? ConveyorJson.ParseElement(result) : null,
        String("on_failure") == "ignore" ? DependencyFailure.Ignore : DependencyFailure.Fail);

    public JobChange Change() => new(
        Position: new JobChangeCursor(Long("change_seq"), Long("id")),
        Id: Long("id"),
        Queue: String("queue"),
        Kind: String("kind"),
        BatchId: NullableString("batch_id"),
        State: State("state"),
        Attempt: Int("attempt"),
        MaxAttempts: Int("max_attempts"),
        Progress: Progress(),
        Result: NullableString("result"),
        Error: IsNull("last_error") ? null : JsonSerializer.Deserialize<JobError>(String("last_error"), ConveyorJson.Options),
        FinishedAt: NullableTime("finished_at"));

    private JobProgress? Progress() =>
        IsNull("progress") && IsNull("progress_stage") && IsNull("progress_done") && IsNull("progress_total")
            ? null
            : new JobProgress((int?)NullableLong("progress"), NullableString("progress_stage"), NullableLong("progress_done"), NullableLong("progress_total"));

    public Scheduling.ScheduleInfo Schedule() => new(
        new Scheduling.ScheduleDefinition
        {
            Name = String("name"), Cron = String("cron"), TimeZone = String("time_zone"), Kind = String("kind"), Args = String("args"),
            Queue = NullableString("queue"), Priority = Int("priority"), MaxAttempts = IsNull("max_attempts") ? null : Int("max_attempts"),
            Enabled = Bool("enabled"), Missed = Enum.Parse<Scheduling.MissedTicks>(String("missed"), ignoreCase: true),
            Overlap = Enum.Parse<Scheduling.Overlap>(String("overlap"), ignoreCase: true), Jitter = Seconds("jitter"),
        },
        NullableTime("next_run_at"), NullableTime("last_run_at"), NullableTime("paused_at"), Time("updated_at"));

    public Scheduling.ScheduleRun ScheduleRun() => new(
        String("schedule"), Time("scheduled_for"), Scheduling.ScheduleNames.ParseFate(String("fate")), NullableLong("job_id"), Time("recorded_at"));

    public WorkerRecord Worker() => new(
        String("id"), String("host"), Int("pid"), StringList("queues"), Int("concurrency"),
        Time("started_at"), Time("last_seen_at"), Int("running"), IsNull("kinds") ? null : StringList("kinds"));
}
