using Conveyor.Scheduling;
using Conveyor.Storage;
using Xunit;

namespace Conveyor.Conformance;

/// <summary>Schedules and their ledger (<see cref="IScheduleStore"/>): one row and one job per tick, however many callers record it.</summary>
public abstract class ScheduleConformance<TFactory> : StoreConformance<TFactory> where TFactory : IStoreFactory, new()
{
    private static ScheduleDefinition Def(string cron = "*/10 * * * * *") => new() { Name = "report", Cron = cron, Kind = "report.build", Args = """{"month":11}""", Queue = "reports" };

    private static ScheduleTick Enqueue(DateTimeOffset at) => new(at, ScheduleRunFate.Enqueued, Row("report.build", "reports", """{"month":11}"""));

    [StoreFact]
    public async Task Upsert_keeps_the_next_tick_unless_the_cron_changes()
    {
        var created = await Store.ScheduleUpsertAsync(new ScheduleUpsertParams(Def(), T0), default);
        Assert.Equal((T0, "report.build", "reports"), (created.NextRunAt, created.Definition.Kind, created.Definition.Queue));
        var same = await Store.ScheduleUpsertAsync(new ScheduleUpsertParams(Def() with { Priority = 5, Missed = MissedTicks.All, Jitter = TimeSpan.FromSeconds(3) }, T0.AddHours(1)), default);
        Assert.Equal((T0, 5, MissedTicks.All, TimeSpan.FromSeconds(3)), (same.NextRunAt, same.Definition.Priority, same.Definition.Missed, same.Definition.Jitter));
        var changed = await Store.ScheduleUpsertAsync(new ScheduleUpsertParams(Def("0 3 * * *") with { TimeZone = "Europe/Berlin", Overlap = Overlap.Skip }, T0.AddHours(2)), default);
        Assert.Equal((T0.AddHours(2), "Europe/Berlin", Overlap.Skip), (changed.NextRunAt, changed.Definition.TimeZone, changed.Definition.Overlap));
        Assert.Single(await Store.ScheduleListAsync(default));
    }

    [StoreFact]
    public async Task A_tick_recorded_by_two_callers_has_one_row_and_one_job()
    {
        await Store.ScheduleUpsertAsync(new ScheduleUpsertParams(Def(), T0), default);
        await using var other = await Factory.OpenAgainAsync();
        var first = await Store.ScheduleFireAsync(new ScheduleFireParams("report", T0, [Enqueue(T0)], T0.AddSeconds(10), T0), default);
        var second = await other.ScheduleFireAsync(new ScheduleFireParams("report", T0, [Enqueue(T0)], T0.AddSeconds(10), T0), default);
        var run = Assert.Single(first);
        Assert.Empty(second);
        Assert.NotNull(run.JobId);
        var job = await GetAsync(run.JobId!.Value);
        Assert.Equal(("report.build", "reports"), (job.Kind, job.Queue));
        Assert.Single(await Store.JobListAsync(new JobListParams(Kind: "report.build"), default));
        var schedule = Assert.Single(await Store.ScheduleListAsync(default));
        Assert.Equal((T0.AddSeconds(10), T0), (schedule.NextRunAt, schedule.LastRunAt));
        Assert.Equal(JobState.Queued, await Store.ScheduleLastJobStateAsync("report", default));
    }

    [StoreFact]
    public async Task The_schedule_moves_on_only_from_the_tick_the_caller_read()
    {
        await Store.ScheduleUpsertAsync(new ScheduleUpsertParams(Def(), T0), default);
        await Store.ScheduleFireAsync(new ScheduleFireParams("report", T0, [Enqueue(T0)], T0.AddSeconds(10), T0), default);
        // A process that read the old next tick records nothing new and moves nothing.
        await Store.ScheduleFireAsync(new ScheduleFireParams("report", T0, [Enqueue(T0)], T0.AddSeconds(999), T0), default);
        Assert.Equal(T0.AddSeconds(10), Assert.Single(await Store.ScheduleListAsync(default)).NextRunAt);
    }

    [StoreFact]
    public async Task The_ledger_keeps_every_fate_newest_first_and_delete_removes_it()
    {
        await Store.ScheduleUpsertAsync(new ScheduleUpsertParams(Def(), T0), default);
        await Store.ScheduleFireAsync(new ScheduleFireParams("report", T0, [
            new ScheduleTick(T0, ScheduleRunFate.Missed, null),
            new ScheduleTick(T0.AddSeconds(10), ScheduleRunFate.Overlapped, null),
            new ScheduleTick(T0.AddSeconds(20), ScheduleRunFate.Paused, null),
            Enqueue(T0.AddSeconds(30))], T0.AddSeconds(40), T0.AddSeconds(31)), default);
        await Store.ScheduleFireAsync(new ScheduleFireParams("report", null, [new ScheduleTick(T0.AddSeconds(35), ScheduleRunFate.Triggered, Row("report.build"))], null, T0.AddSeconds(35)), default);
        var runs = await Store.ScheduleRunsAsync("report", 10, default);
        Assert.Equal([ScheduleRunFate.Triggered, ScheduleRunFate.Enqueued, ScheduleRunFate.Paused, ScheduleRunFate.Overlapped, ScheduleRunFate.Missed], runs.Select(r => r.Fate));
        Assert.All(runs.Where(r => r.Fate is ScheduleRunFate.Enqueued or ScheduleRunFate.Triggered), r => Assert.NotNull(r.JobId));
        Assert.All(runs.Where(r => r.Fate is not (ScheduleRunFate.Enqueued or ScheduleRunFate.Triggered)), r => Assert.Null(r.JobId));
        Assert.Equal(T0.AddSeconds(40), Assert.Single(await Store.ScheduleListAsync(default)).NextRunAt); // a trigger does not move it

        Assert.True(await Store.SchedulePauseAsync("report", true, default));
        Assert.NotNull(Assert.Single(await Store.ScheduleListAsync(default)).PausedAt);
        Assert.True(await Store.SchedulePauseAsync("report", false, default));
        Assert.False(await Store.SchedulePauseAsync("nope", true, default));
        Assert.True(await Store.ScheduleDeleteAsync("report", default));
        Assert.False(await Store.ScheduleDeleteAsync("report", default));
        Assert.Empty(await Store.ScheduleRunsAsync("report", 10, default));
    }
}
