namespace Conveyor.Storage;

/// <summary>One worker process as it last reported itself.</summary>
public sealed record WorkerRecord(
    string Id,
    string Host,
    int Pid,
    IReadOnlyList<string> Queues,
    int Concurrency,
    DateTimeOffset StartedAt,
    DateTimeOffset LastSeenAt,
    int Running);

/// <summary>Who is working: each worker process keeps its record fresh with its heartbeat and removes it on clean exit.</summary>
public interface IWorkerRegistry
{
    Task WorkerUpsertAsync(WorkerRecord worker, CancellationToken ct);

    Task WorkerRemoveAsync(string workerId, CancellationToken ct);

    Task<IReadOnlyList<WorkerRecord>> WorkerListAsync(CancellationToken ct);

    /// <summary>Deletes records not seen since <paramref name="lastSeenBefore"/> (processes that died); returns how many.</summary>
    Task<int> WorkerPruneAsync(DateTimeOffset lastSeenBefore, CancellationToken ct);
}
