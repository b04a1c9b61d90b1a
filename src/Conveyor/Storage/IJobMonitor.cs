namespace Conveyor.Storage;

/// <summary>The read-only side of a store: what the client, API, dashboard and CLI show.</summary>
public interface IJobMonitor
{
    Task<Job?> JobGetAsync(long id, CancellationToken ct);

    /// <summary>Newest first; <see cref="JobListParams.AfterId"/> pages on (ids below it).</summary>
    Task<IReadOnlyList<Job>> JobListAsync(JobListParams p, CancellationToken ct);

    Task<IReadOnlyList<QueueStats>> QueueStatsAsync(QueueStatsParams p, CancellationToken ct);
}
