using System.Data;
using System.Data.Common;
using Conveyor.Scheduling;

namespace Conveyor.Storage.Relational;

// Cron schedules and their occurrence ledger.
public abstract partial class SqlStore
{
    /// <inheritdoc />
    public async Task<ScheduleInfo> ScheduleUpsertAsync(ScheduleUpsertParams p, CancellationToken ct)
    {
        var d = p.Definition;
        await using (var session = await WriteAsync(ct))
        {
            await using var command = Command(session, "schedule_upsert", null)
                .With("name", d.Name).With("cron", d.Cron).With("time_zone", d.TimeZone).With("kind", d.Kind).With("args", d.Args)
                .With("queue", d.Queue).With("priority", d.Priority).With("max_attempts", d.MaxAttempts)
                .With("enabled", d.Enabled, DbType.Boolean).With("missed", d.Missed.ToString().ToLowerInvariant())
                .With("overlap", d.Overlap.ToString().ToLowerInvariant()).With("jitter", d.Jitter?.TotalSeconds, DbType.Double);
            BindTime(command, "next_run_at", p.NextRunAt);
            await ReadAllAsync(command, r => r.String("name"), ct);
            await session.CommitAsync(ct);
        }
        await using var read = await ReadAsync(ct);
        await using var select = read.Command(_dialect.Sql("schedule_columns") + " WHERE name = @name").With("name", d.Name);
        return (await ReadAllAsync(select, r => r.Schedule(), ct)).Single();
    }

    /// <inheritdoc />
    public async Task<bool> ScheduleDeleteAsync(string name, CancellationToken ct)
    {
        await using var session = await WriteAsync(ct);
        await using var command = Command(session, "schedule_delete").With("name", name);
        var deleted = (await ReadAllAsync(command, r => r.String("name"), ct)).Count > 0;
        await session.CommitAsync(ct);
        return deleted;
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<ScheduleInfo>> ScheduleListAsync(CancellationToken ct)
    {
        await using var session = await ReadAsync(ct);
        await using var command = session.Command(_dialect.Sql("schedule_columns") + " ORDER BY name");
        return await ReadAllAsync(command, r => r.Schedule(), ct);
    }

    /// <inheritdoc />
    public async Task<bool> SchedulePauseAsync(string name, bool paused, CancellationToken ct)
    {
        await using var session = await WriteAsync(ct);
        await using var command = Command(session, "schedule_pause", null).With("name", name).With("paused", paused, DbType.Boolean);
        var found = (await ReadAllAsync(command, r => r.String("name"), ct)).Count > 0;
        await session.CommitAsync(ct);
        return found;
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<ScheduleRun>> ScheduleRunsAsync(string name, int limit, CancellationToken ct)
    {
        await using var session = await ReadAsync(ct);
        await using var command = Command(session, "schedule_runs").With("name", name).With("limit", limit);
        return await ReadAllAsync(command, r => r.ScheduleRun(), ct);
    }

    /// <inheritdoc />
    public async Task<JobState?> ScheduleLastJobStateAsync(string name, CancellationToken ct)
    {
        await using var session = await ReadAsync(ct);
        await using var command = Command(session, "schedule_last_job_state").With("name", name);
        var states = await ReadAllAsync(command, r => r.State("state"), ct);
        return states.Count == 0 ? null : states[0];
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<ScheduleRun>> ScheduleFireAsync(ScheduleFireParams p, CancellationToken ct)
    {
        var recorded = new List<ScheduleRun>();
        var queues = new HashSet<string>(StringComparer.Ordinal);
        await using (var session = await WriteAsync(ct, atomic: true)) // a tick's ledger row and its job commit together
        {
            foreach (var tick in p.Ticks)
            {
                await using var claim = Command(session, "schedule_run_insert", p.Now).With("name", p.Name).With("fate", tick.Fate.ToName());
                BindTime(claim, "scheduled_for", tick.ScheduledFor);
                var owned = await ReadAllAsync(claim, r => r.ScheduleRun(), ct);
                if (owned.Count == 0)
                    continue; // another process recorded this tick first
                var run = owned[0];
                if (tick.Job is not null)
                {
                    await using var insert = Command(session, "job_insert_many", p.Now).With("jobs", JsonParameters.Jobs([tick.Job]));
                    var jobId = (await ReadAllAsync(insert, r => r.Long("id"), ct)).FirstOrDefault();
                    if (jobId != 0)
                    {
                        await using var link = Command(session, "schedule_run_job").With("name", p.Name).With("job_id", jobId);
                        BindTime(link, "scheduled_for", tick.ScheduledFor);
                        await link.ExecuteNonQueryAsync(ct);
                        run = run with { JobId = jobId };
                        if (tick.Job.Delay is not { Ticks: > 0 })
                            queues.Add(tick.Job.Queue);
                    }
                }
                recorded.Add(run);
            }
            if (p.ExpectedNextRunAt is not null || p.NextRunAt is not null)
            {
                await using var advance = Command(session, "schedule_advance").With("name", p.Name);
                BindTime(advance, "next_run_at", p.NextRunAt);
                BindTime(advance, "expected", p.ExpectedNextRunAt);
                BindTime(advance, "last_run_at", p.Ticks.Count > 0 ? p.Ticks[^1].ScheduledFor : null);
                await advance.ExecuteNonQueryAsync(ct);
            }
            await session.CommitAsync(ct);
        }
        await NotifyReadyAsync(queues, ct);
        return recorded;
    }

    private void BindTime(DbCommand command, string name, DateTimeOffset? time)
    {
        if (time is { } t)
            _dialect.BindTime(command, name, t);
        else
            command.With(name, null, DbType.DateTimeOffset);
    }
}
