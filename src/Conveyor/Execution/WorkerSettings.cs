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
    DrainPlan? Drain = null,
    IReadOnlySet<string>? TraceLinks = null,
    IReadOnlyList<string>? Kinds = null,
    QueuePlan? Plan = null,
    int ClaimAhead = 0)
{
    /// <summary>
    /// A worker claims only the kinds it has handlers for (a job no worker knows waits instead of failing), from its queues
    /// in the order their weights give (<see cref="QueuePlan"/>).
    /// </summary>
    public static WorkerSettings From(ConveyorOptions o) => From(o, QueuePlan.Parse(o.Queues));

    private static WorkerSettings From(ConveyorOptions o, QueuePlan plan) => new(
        o.WorkerId, plan.Names, o.Concurrency, o.Lease, o.EffectiveHeartbeatInterval, o.PollInterval,
        o.ProgressInterval, o.CompleterWindow, o.CompleterBatchSize, o.ShutdownTimeout, o.Drain, o.TraceLinkQueues.ToHashSet(StringComparer.Ordinal),
        [.. o.Kinds.All.Select(r => r.Kind).Order(StringComparer.Ordinal)], plan, o.ClaimAhead);

    /// <summary>Queues whose attempts start a linked trace rather than a child span.</summary>
    public IReadOnlySet<string> TraceLinkQueues => TraceLinks ?? EmptySet;

    private static readonly IReadOnlySet<string> EmptySet = new HashSet<string>();

    /// <summary>How often the workers record is refreshed: every Lease/3, at most every 5 s.</summary>
    public TimeSpan RegistrationInterval => TimeSpan.FromTicks(Math.Min(Lease.Ticks / 3, TimeSpan.FromSeconds(5).Ticks));
}
