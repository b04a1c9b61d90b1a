using Conveyor.Scheduling;
using Xunit;

namespace Conveyor.Tests.Scheduling;

/// <summary>Tick arithmetic across daylight-saving changes (Cronos, the platform's IANA zones), and the expressions' errors.</summary>
public sealed class ScheduleTimesTests
{
    public static TheoryData<string, string, string, string[]> Transitions => new()
    {
        // zone, cron, after (UTC), the next ticks (UTC)
        // Berlin springs forward 2027-03-28 02:00 → 03:00: a 02:30 tick runs once at 03:00 local (01:00Z).
        { "Europe/Berlin", "30 2 * * *", "2027-03-26T12:00:00Z", ["2027-03-27T01:30:00Z", "2027-03-28T01:00:00Z", "2027-03-29T00:30:00Z"] },
        // Berlin falls back 2026-10-25 03:00 → 02:00: 02:30 happens twice and runs once, the first time (00:30Z).
        { "Europe/Berlin", "30 2 * * *", "2026-10-23T12:00:00Z", ["2026-10-24T00:30:00Z", "2026-10-25T00:30:00Z", "2026-10-26T01:30:00Z"] },
        // New York springs forward 2027-03-14 02:00 → 03:00.
        { "America/New_York", "30 2 * * *", "2027-03-12T12:00:00Z", ["2027-03-13T07:30:00Z", "2027-03-14T07:00:00Z", "2027-03-15T06:30:00Z"] },
        // New York falls back 2026-11-01 02:00 → 01:00: 01:30 runs once, the first time (05:30Z, still EDT).
        { "America/New_York", "30 1 * * *", "2026-10-30T12:00:00Z", ["2026-10-31T05:30:00Z", "2026-11-01T05:30:00Z", "2026-11-02T06:30:00Z"] },
        // Lord Howe moves half an hour: 2026-10-04 02:00 → 02:30 (+10:30 → +11); a 02:15 tick runs once at 02:30.
        { "Australia/Lord_Howe", "15 2 * * *", "2026-10-02T00:00:00Z", ["2026-10-02T15:45:00Z", "2026-10-03T15:30:00Z", "2026-10-04T15:15:00Z"] },
        // ... and back 2027-04-04 02:00 → 01:30 (+11 → +10:30): 01:45 happens twice and runs once, the first time.
        { "Australia/Lord_Howe", "45 1 * * *", "2027-04-02T00:00:00Z", ["2027-04-02T14:45:00Z", "2027-04-03T14:45:00Z", "2027-04-04T15:15:00Z"] },
    };

    [Theory]
    [MemberData(nameof(Transitions))]
    public void Ticks_across_daylight_saving_changes_run_once(string zone, string cron, string after, string[] expected)
    {
        var times = ScheduleTimes.Parse(cron, zone);
        var ticks = times.Between(DateTimeOffset.Parse(after), DateTimeOffset.Parse(after).AddDays(4), expected.Length);
        Assert.Equal(expected.Select(DateTimeOffset.Parse), ticks);
    }

    [Fact]
    public void Preview_marks_the_offset_change()
    {
        var preview = ScheduleTimes.Parse("0 12 * * *", "Europe/Berlin").Preview(DateTimeOffset.Parse("2026-10-23T00:00:00Z"), 4);
        Assert.Equal([false, false, true, false], preview.Select(p => p.OffsetChanged));
        Assert.Equal(TimeSpan.FromHours(1), preview[2].Local.Offset);
    }

    [Fact]
    public void Every_ticks_on_multiples_of_its_interval_since_the_epoch_so_all_processes_agree()
    {
        var times = ScheduleTimes.Parse("@every 90s");
        var next = times.Next(DateTimeOffset.Parse("2026-01-01T00:00:10Z"))!.Value;
        Assert.Equal(0, (next - DateTimeOffset.UnixEpoch).Ticks % TimeSpan.FromSeconds(90).Ticks);
        Assert.Equal(next.AddSeconds(90), times.Next(next));
        Assert.Equal(next, times.Next(next.AddSeconds(-1)));
    }

    [Fact]
    public void Shorthands_and_six_fields_parse()
    {
        Assert.Equal(DateTimeOffset.Parse("2027-01-01T00:00:00Z"), ScheduleTimes.Parse("@yearly").Next(DateTimeOffset.Parse("2026-06-01T00:00:00Z")));
        Assert.Equal(DateTimeOffset.Parse("2026-06-01T00:00:00Z"), ScheduleTimes.Parse("@daily").Next(DateTimeOffset.Parse("2026-05-31T13:00:00Z")));
        Assert.Equal(DateTimeOffset.Parse("2026-06-01T13:00:00Z"), ScheduleTimes.Parse("@hourly").Next(DateTimeOffset.Parse("2026-06-01T12:00:00Z")));
        Assert.Equal(DateTimeOffset.Parse("2026-06-01T12:00:15Z"), ScheduleTimes.Parse("*/15 * * * * *").Next(DateTimeOffset.Parse("2026-06-01T12:00:00Z")));
    }

    [Theory]
    [InlineData("", "needs a cron expression")]
    [InlineData("* * *", "has 3 fields")]
    [InlineData("61 * * * *", "Minutes")]
    [InlineData("* * * * * * *", "has 7 fields")]
    [InlineData("@every", "needs a duration")]
    [InlineData("@every 10 parsecs", "@every 10 parsecs")]
    [InlineData("@every 500ms", "at least 1s")]
    [InlineData("@fortnightly", "@fortnightly")]
    public void Invalid_expressions_name_what_is_wrong(string cron, string message)
    {
        var error = Assert.ThrowsAny<JobValidationException>(() => ScheduleTimes.Parse(cron));
        Assert.Contains(message, error.Message);
    }

    [Fact]
    public void An_unknown_zone_is_refused()
    {
        var error = Assert.ThrowsAny<JobValidationException>(() => ScheduleTimes.Parse("0 3 * * *", "Mars/Olympus_Mons"));
        Assert.Contains("Mars/Olympus_Mons", error.Message);
    }
}
