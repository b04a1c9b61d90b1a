namespace Conveyor.Execution;

/// <summary>The worker's settings, read once from the validated options: nothing in the engine reads options live.</summary>
internal sealed record WorkerSettings(
    string WorkerId,
    IReadOnlyList<string> Queues,
    int Concurrency,
    TimeSpan Lease,
    TimeSpan HeartbeatInterval,
    TimeSpan PollInterval,
    TimeSpan ProgressInterval,
    TimeSpan CompleterWindow,
    int CompleterBatchSize,
    TimeSpan ShutdownTimeout,
    DrainPlan? Drain = null)
{
    public static WorkerSettings From(ConveyorOptions o) => new(
        o.WorkerId, [.. o.Queues], o.Concurrency, o.Lease, o.EffectiveHeartbeatInterval, o.PollInterval,
        o.ProgressInterval, o.CompleterWindow, o.CompleterBatchSize, o.ShutdownTimeout, o.Drain);

    /// <summary>How often the workers record is refreshed: every Lease/3, at most every 5 s.</summary>
    public TimeSpan RegistrationInterval => TimeSpan.FromTicks(Math.Min(Lease.Ticks / 3, TimeSpan.FromSeconds(5).Ticks));
}
