using Conveyor.Maintenance;
using Conveyor.Scheduling;
using Conveyor.Storage;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using Xunit;

namespace Conveyor.Tests.Scheduling;

/// <summary>What the scheduler makes of due ticks, by policy (missed: once, all, skip; overlap; pause), on a fake clock.</summary>
public sealed class SchedulePolicyTests
{
    private static readonly DateTimeOffset Start = new(2026, 3, 1, 12, 0, 0, TimeSpan.Zero);
    private readonly FakeTimeProvider _time = new(Start);
    private readonly Scheduler _scheduler;

    public SchedulePolicyTests()
    {
        var options = Options.Create(new ConveyorOptions());
        _scheduler = new Scheduler(null!, new JobRowFactory(options, options.Value.Kinds), null!, options, _time, NullLogger<Scheduler>.Instance);
    }

    private static ScheduleDefinition Every10s(MissedTicks missed = MissedTicks.Once, Overlap overlap = Overlap.Allow) =>
        new() { Name = "s", Cron = "*/10 * * * * *", Kind = "report.build", Missed = missed, Overlap = overlap };

    private (List<ScheduleTick> Ticks, DateTimeOffset? Next) Plan(ScheduleDefinition d, TimeSpan downtime, bool paused = false, JobState? last = null)
    {
        var times = ScheduleTimes.Parse(d.Cron);
        _time.Advance(downtime);
        return _scheduler.Plan(d, times, Start, _time.GetUtcNow(), paused, last);
    }

    private static string Fates(IEnumerable<ScheduleTick> ticks) => string.Join(",", ticks.Select(t => t.Fate.ToString()[0]));

    [Fact]
    public void On_time_ticks_each_run()
    {
        var (ticks, next) = Plan(Every10s(), TimeSpan.FromSeconds(2));
        Assert.Equal("E", Fates(ticks));
        Assert.Equal(Start.AddSeconds(10), next);
        Assert.Equal("report.build", ticks[0].Job!.Kind);
    }

    [Fact]
    public void After_ten_missed_ticks_once_runs_the_latest_missed_and_the_on_time_one()
    {
        // Down for 100 s: ticks at +0..+100; +100 is on time, +0..+90 are missed.
        var (ticks, next) = Plan(Every10s(MissedTicks.Once), TimeSpan.FromSeconds(101));
        Assert.Equal("M,M,M,M,M,M,M,M,M,E,E", Fates(ticks));
        Assert.Equal(Start.AddSeconds(110), next);
    }

    [Fact]
    public void After_ten_missed_ticks_all_runs_each_and_skip_runs_none_of_them()
    {
        Assert.Equal("E,E,E,E,E,E,E,E,E,E,E", Fates(Plan(Every10s(MissedTicks.All), TimeSpan.FromSeconds(101)).Ticks));
        Assert.Equal("M,M,M,M,M,M,M,M,M,M,E", Fates(new SchedulePolicyTests().Plan(Every10s(MissedTicks.Skip), TimeSpan.FromSeconds(101)).Ticks));
    }

    [Fact]
    public void A_catch_up_runs_at_most_100_ticks_and_at_most_1000_are_recorded()
    {
        var (ticks, next) = Plan(Every10s(MissedTicks.All), TimeSpan.FromHours(10));
        Assert.Equal(1000, ticks.Count);
        Assert.Equal(101, ticks.Count(t => t.Fate == ScheduleRunFate.Enqueued)); // 100 missed + the on-time tick
        Assert.True(next > _time.GetUtcNow());
    }

    [Fact]
    public void Overlap_skip_runs_nothing_while_the_previous_job_is_unfinished()
    {
        Assert.Equal("O", Fates(Plan(Every10s(overlap: Overlap.Skip), TimeSpan.FromSeconds(2), last: JobState.Running).Ticks));
        Assert.Equal("E", Fates(new SchedulePolicyTests().Plan(Every10s(overlap: Overlap.Skip), TimeSpan.FromSeconds(2), last: JobState.Completed).Ticks));
        // Two ticks due at once with overlap skip: the first runs, the second would overlap it.
        Assert.Equal("E,O", Fates(new SchedulePolicyTests().Plan(Every10s(MissedTicks.All, Overlap.Skip), TimeSpan.FromSeconds(12)).Ticks));
        Assert.Equal("E,E", Fates(new SchedulePolicyTests().Plan(Every10s(MissedTicks.All, Overlap.Allow), TimeSpan.FromSeconds(12), last: JobState.Running).Ticks));
    }

    [Fact]
    public void A_paused_schedule_records_its_ticks_as_paused()
    {
        Assert.Equal("P,P,P", Fates(Plan(Every10s(), TimeSpan.FromSeconds(21), paused: true).Ticks));
    }

    [Fact]
    public void Jitter_delays_the_job_within_its_bound()
    {
        var d = Every10s() with { Jitter = TimeSpan.FromSeconds(30) };
        var delays = Enumerable.Range(0, 50).Select(_ => new SchedulePolicyTests().Plan(d, TimeSpan.FromSeconds(1)).Ticks[0].Job!.Delay!.Value).ToList();
        Assert.All(delays, delay => Assert.InRange(delay, TimeSpan.Zero, TimeSpan.FromSeconds(30)));
        Assert.True(delays.Distinct().Count() > 1);
    }

    [Fact]
    public void A_scheduler_walking_through_the_spring_forward_night_runs_each_daily_tick_once()
    {
        // 02:30 Europe/Berlin daily; the night of 2027-03-28 has no 02:30 (02:00 → 03:00): that day's tick runs at 03:00.
        var clock = new FakeTimeProvider(new DateTimeOffset(2027, 3, 26, 0, 0, 0, TimeSpan.Zero));
        var options = Options.Create(new ConveyorOptions());
        var scheduler = new Scheduler(null!, new JobRowFactory(options, options.Value.Kinds), null!, options, clock, NullLogger<Scheduler>.Instance);
        var d = new ScheduleDefinition { Name = "berlin", Cron = "30 2 * * *", TimeZone = "Europe/Berlin", Kind = "k" };
        var times = ScheduleTimes.Parse(d.Cron, d.TimeZone);
        var next = times.Next(clock.GetUtcNow());
        var ran = new List<DateTimeOffset>();
        for (var step = 0; step < 4 * 24 * 4; step++) // four days in 15-minute steps, as a scheduler pass would see them
        {
            clock.Advance(TimeSpan.FromMinutes(15));
            if (next is not { } due || due > clock.GetUtcNow())
                continue;
            var (ticks, after) = scheduler.Plan(d, times, due, clock.GetUtcNow(), false, null);
            ran.AddRange(ticks.Where(t => t.Fate == ScheduleRunFate.Enqueued).Select(t => t.ScheduledFor));
            next = after;
        }
        var berlin = TimeZoneInfo.FindSystemTimeZoneById("Europe/Berlin");
        Assert.Equal(["2027-03-26 02:30", "2027-03-27 02:30", "2027-03-28 03:00", "2027-03-29 02:30"],
            ran.Select(t => TimeZoneInfo.ConvertTime(t, berlin).ToString("yyyy-MM-dd HH:mm")));
    }
}
