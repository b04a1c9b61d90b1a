using System.Collections.Concurrent;
using Conveyor.Scheduling;
using Conveyor.Storage;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Conveyor.Maintenance;

/// <summary>
/// Turns schedule ticks into jobs. Every process runs it, with no leader: each tick is one ledger row written with its
/// job in one transaction (<see cref="IScheduleStore.ScheduleFireAsync"/>), so however many schedulers race, one job
/// exists per tick. Schedules are read from the store on every pass, so an edit takes effect at the next tick.
/// </summary>
internal sealed class Scheduler(
    IScheduleStore store,
    JobRowFactory rows,
    StoreReadiness readiness,
    IOptions<ConveyorOptions> options,
    TimeProvider time,
    ILogger<Scheduler> logger) : PeriodicService(readiness, options, time, logger)
{
    /// <summary>A tick first seen later than this after its time counts as missed (its schedule's policy decides).</summary>
    public static readonly TimeSpan Grace = TimeSpan.FromSeconds(5);

    /// <summary>At most this many ticks of one downtime are recorded (the latest ones); a catch-up runs at most 100.</summary>
    private const int MaxRecordedTicks = 1000;
    private const int MaxCatchUp = 100;

    private readonly ConcurrentDictionary<(string Cron, string Zone), ScheduleTimes> _times = new();
    private bool _declared;

    protected override TimeSpan Interval => TimeSpan.FromMilliseconds(500);

    protected override async Task RunOnceAsync(CancellationToken ct)
    {
        if (!_declared)
        {
            // Schedules declared in code are upserted by every process at start (by name: idempotent).
            foreach (var definition in Options.Schedules)
                await store.ScheduleUpsertAsync(new ScheduleUpsertParams(definition, TimesOf(definition).Next(Time.GetUtcNow())), ct);
            _declared = true;
        }
        foreach (var schedule in await store.ScheduleListAsync(ct))
        {
            try
            {
                await FireDueAsync(schedule, ct);
            }
            catch (Exception ex) when (!ct.IsCancellationRequested)
            {
                Logger.LogWarning(ex, "Schedule {Schedule} could not fire; trying again at the next pass.", schedule.Definition.Name);
            }
        }
    }

    private ScheduleTimes TimesOf(ScheduleDefinition d) => _times.GetOrAdd((d.Cron, d.TimeZone), k => ScheduleTimes.Parse(k.Cron, k.Zone));

    private async Task FireDueAsync(ScheduleInfo schedule, CancellationToken ct)
    {
        var d = schedule.Definition;
        if (!d.Enabled)
            return;
        var times = TimesOf(d);
        var now = Time.GetUtcNow();
        if (schedule.NextRunAt is not { } next)
        {
            // New, or its ticks had run out: start from now.
            await store.ScheduleFireAsync(new ScheduleFireParams(d.Name, null, [], times.Next(now)), ct);
            return;
        }
        if (next > now)
            return;
        var plan = Plan(d, times, next, now, schedule.PausedAt is not null,
            d.Overlap == Overlap.Skip ? await store.ScheduleLastJobStateAsync(d.Name, ct) : null);
        var fired = await store.ScheduleFireAsync(new ScheduleFireParams(d.Name, next, plan.Ticks, plan.Next), ct);
        foreach (var run in fired.Where(r => r.JobId is not null))
            Logger.LogInformation("Schedule {Schedule} enqueued job {JobId} for {Tick:o}.", d.Name, run.JobId, run.ScheduledFor);
    }

    /// <summary>What each due tick becomes, by the schedule's policies; pure, so it is tested without a store.</summary>
    internal (List<ScheduleTick> Ticks, DateTimeOffset? Next) Plan(ScheduleDefinition d, ScheduleTimes times, DateTimeOffset next, DateTimeOffset now, bool paused, JobState? lastJobState)
    {
        var due = new List<DateTimeOffset> { next };
        due.AddRange(times.Between(next, now, 100_000));
        var nextAfter = due.Count > 100_000 ? times.Next(now) : times.Next(due[^1]);
        if (due.Count > MaxRecordedTicks)
            due = due[^MaxRecordedTicks..];
        var ticks = new List<ScheduleTick>(due.Count);
        if (paused)
        {
            ticks.AddRange(due.Select(t => new ScheduleTick(t, ScheduleRunFate.Paused, null)));
            return (ticks, nextAfter);
        }
        var missed = due.Where(t => now - t > Grace).ToList();
        var run = new HashSet<DateTimeOffset>(due.Where(t => now - t <= Grace));
        switch (d.Missed)
        {
            case MissedTicks.Once when missed.Count > 0:
                run.Add(missed[^1]);
                break;
            case MissedTicks.All:
                run.UnionWith(missed.TakeLast(MaxCatchUp));
                break;
        }
        // Overlap skip: a tick runs only while no earlier tick's job is unfinished.
        var busy = d.Overlap == Overlap.Skip && lastJobState is { } state && !state.IsTerminal();
        foreach (var tick in due)
        {
            if (!run.Contains(tick))
                ticks.Add(new ScheduleTick(tick, ScheduleRunFate.Missed, null));
            else if (busy)
                ticks.Add(new ScheduleTick(tick, ScheduleRunFate.Overlapped, null));
            else
            {
                ticks.Add(new ScheduleTick(tick, ScheduleRunFate.Enqueued, JobFor(d)));
                busy = d.Overlap == Overlap.Skip;
            }
        }
        return (ticks, nextAfter);
    }

    private JobInsertRow JobFor(ScheduleDefinition d) => rows.Create(new JobRequest(d.Kind, d.Args, new EnqueueOptions
    {
        Queue = d.Queue,
        Priority = d.Priority,
        MaxAttempts = d.MaxAttempts,
        Delay = d.Jitter is { Ticks: > 0 } jitter ? TimeSpan.FromMilliseconds(Random.Shared.NextDouble() * jitter.TotalMilliseconds) : null,
    }));
}
