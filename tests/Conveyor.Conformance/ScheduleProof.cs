using Conveyor.Scheduling;
using Conveyor.Storage;
using Xunit;

namespace Conveyor.Conformance;

/// <summary>
/// The exactly-once proof for schedules: several real worker processes (started by the store's test) run the scheduler
/// against one database with a schedule that ticks every second; afterwards every tick from the first to the last has
/// exactly one ledger row and one job, and none is missing.
/// </summary>
public static class ScheduleProof
{
    public const string Name = "every-second";

    /// <summary>Defines the schedule (before the processes start).</summary>
    public static Task DefineAsync(IConveyorStore store) =>
        store.ScheduleUpsertAsync(new ScheduleUpsertParams(
            new ScheduleDefinition { Name = Name, Cron = "* * * * * *", Kind = "demo.noop", Missed = MissedTicks.All },
            ScheduleTimes.Parse("* * * * * *").Next(DateTimeOffset.UtcNow)), default);

    /// <summary>Checks the ledger and the jobs once the processes have stopped; returns how many ticks ran.</summary>
    public static async Task<int> AssertOneJobPerTickAsync(IConveyorStore store, int atLeast)
    {
        var runs = (await store.ScheduleRunsAsync(Name, 1000, default)).OrderBy(r => r.ScheduledFor).ToList();
        Assert.True(runs.Count >= atLeast, $"only {runs.Count} ticks were recorded");
        Assert.All(runs, r => Assert.Equal(ScheduleRunFate.Enqueued, r.Fate));
        for (var i = 1; i < runs.Count; i++)
            Assert.True(runs[i].ScheduledFor - runs[i - 1].ScheduledFor == TimeSpan.FromSeconds(1), $"a tick is missing between {runs[i - 1].ScheduledFor:o} and {runs[i].ScheduledFor:o}");
        var jobIds = runs.Select(r => r.JobId ?? throw new InvalidOperationException($"tick {r.ScheduledFor:o} has no job")).ToList();
        Assert.Equal(jobIds.Count, jobIds.Distinct().Count());
        var jobs = await store.JobListAsync(new JobListParams(Kind: "demo.noop", Limit: 1000), default);
        Assert.Equal(runs.Count, jobs.Count); // no job without its tick, no tick with two jobs
        return runs.Count;
    }
}
