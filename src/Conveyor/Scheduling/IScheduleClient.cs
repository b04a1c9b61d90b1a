using Conveyor.Storage;

namespace Conveyor.Scheduling;

/// <summary>Define, inspect, pause, trigger and remove cron schedules. Thread-safe; one per application.</summary>
public interface IScheduleClient
{
    /// <summary>Every schedule, by name.</summary>
    Task<IReadOnlyList<ScheduleInfo>> ListAsync(CancellationToken ct = default);

    /// <summary>One schedule, or null.</summary>
    Task<ScheduleInfo?> GetAsync(string name, CancellationToken ct = default);

    /// <summary>Creates or redefines a schedule by name (validated: a bad cron, zone, kind or args throws <see cref="JobValidationException"/>); the change applies from its next tick.</summary>
    Task<ScheduleInfo> UpsertAsync(ScheduleDefinition definition, CancellationToken ct = default);

    /// <summary>Removes a schedule and its ledger; false when there was none.</summary>
    Task<bool> DeleteAsync(string name, CancellationToken ct = default);

    /// <summary>Pauses a schedule: its ticks are recorded as paused and run nothing. False when there is none.</summary>
    Task<bool> PauseAsync(string name, CancellationToken ct = default);

    /// <summary>Resumes a paused schedule. False when there is none.</summary>
    Task<bool> ResumeAsync(string name, CancellationToken ct = default);

    /// <summary>Runs a schedule's job now, outside its ticks (recorded as triggered); returns the job id.</summary>
    Task<long> TriggerAsync(string name, CancellationToken ct = default);

    /// <summary>A schedule's latest ticks and their fates, newest first.</summary>
    Task<IReadOnlyList<ScheduleRun>> HistoryAsync(string name, int limit = 50, CancellationToken ct = default);
}

/// <summary>No schedule has this name.</summary>
public sealed class ScheduleNotFoundException(string name) : JobValidationException($"No schedule named '{name}'.")
{
    /// <summary>The name asked for.</summary>
    public string Name { get; } = name;
}

internal sealed class ScheduleClient(IScheduleStore store, JobRowFactory rows, StoreReadiness readiness, TimeProvider time) : IScheduleClient
{
    public async Task<IReadOnlyList<ScheduleInfo>> ListAsync(CancellationToken ct = default)
    {
        await readiness.EnsureReadyAsync(ct);
        return await store.ScheduleListAsync(ct);
    }

    public async Task<ScheduleInfo?> GetAsync(string name, CancellationToken ct = default) =>
        (await ListAsync(ct)).FirstOrDefault(s => s.Definition.Name == name);

    public async Task<ScheduleInfo> UpsertAsync(ScheduleDefinition definition, CancellationToken ct = default)
    {
        var times = ScheduleValidation.Validate(definition);
        rows.Create(new JobRequest(definition.Kind, definition.Args, new EnqueueOptions { Queue = definition.Queue })); // strict kinds, args size
        await readiness.EnsureReadyAsync(ct);
        return await store.ScheduleUpsertAsync(new ScheduleUpsertParams(definition, times.Next(time.GetUtcNow())), ct);
    }

    public async Task<bool> DeleteAsync(string name, CancellationToken ct = default)
    {
        await readiness.EnsureReadyAsync(ct);
        return await store.ScheduleDeleteAsync(name, ct);
    }

    public Task<bool> PauseAsync(string name, CancellationToken ct = default) => SetPausedAsync(name, true, ct);

    public Task<bool> ResumeAsync(string name, CancellationToken ct = default) => SetPausedAsync(name, false, ct);

    private async Task<bool> SetPausedAsync(string name, bool paused, CancellationToken ct)
    {
        await readiness.EnsureReadyAsync(ct);
        return await store.SchedulePauseAsync(name, paused, ct);
    }

    public async Task<long> TriggerAsync(string name, CancellationToken ct = default)
    {
        var schedule = await GetAsync(name, ct) ?? throw new ScheduleNotFoundException(name);
        var d = schedule.Definition;
        var job = rows.Create(new JobRequest(d.Kind, d.Args, new EnqueueOptions { Queue = d.Queue, Priority = d.Priority, MaxAttempts = d.MaxAttempts }));
        var fired = await store.ScheduleFireAsync(new ScheduleFireParams(name, null, [new ScheduleTick(time.GetUtcNow(), ScheduleRunFate.Triggered, job)], null), ct);
        return fired.Count == 1 && fired[0].JobId is { } id ? id : throw new InvalidOperationException($"Schedule '{name}' was triggered twice in the same instant; try again.");
    }

    public async Task<IReadOnlyList<ScheduleRun>> HistoryAsync(string name, int limit = 50, CancellationToken ct = default)
    {
        if (limit is < 1 or > 1000)
            throw new JobValidationException($"Limit must be between 1 and 1000 (got {limit}).");
        await readiness.EnsureReadyAsync(ct);
        return await store.ScheduleRunsAsync(name, limit, ct);
    }
}
