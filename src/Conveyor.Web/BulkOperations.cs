using System.Collections.Concurrent;
using Conveyor.Storage;
using Microsoft.Extensions.Logging;

namespace Conveyor.Web;

/// <summary>What a bulk action has done so far: visible while it runs, kept for an hour after.</summary>
internal sealed class BulkOperation
{
    public required string Id { get; init; }
    public required JobBulkAction Action { get; init; }
    public required DateTimeOffset StartedAt { get; init; }
    public long Total { get; set; }
    public long Processed { get; set; }
    public long Changed { get; set; }
    public bool Done { get; set; }
    public string? Error { get; set; }
    public DateTimeOffset? FinishedAt { get; set; }
}

/// <summary>
/// Retry, cancel or delete everything a filter selects — not one page of it — in batches of <see cref="BatchSize"/>
/// ids, walked newest to oldest by id (keyset, so jobs that leave the filter as they change do not shift the walk),
/// in the background of the server process, with its progress readable at GET /api/jobs/actions/{id}.
/// </summary>
internal sealed class BulkOperations(IJobMonitor monitor, IJobAdminStore admin, TimeProvider time, ILogger logger)
{
    public const int BatchSize = 500;
    private static readonly TimeSpan KeepFinished = TimeSpan.FromHours(1);
    private readonly ConcurrentDictionary<string, BulkOperation> _operations = new(StringComparer.Ordinal);

    public BulkOperation? Get(string id) => _operations.TryGetValue(id, out var operation) ? operation : null;

    public BulkOperation Start(JobBulkAction action, JobListParams filter, CancellationToken stopping)
    {
        foreach (var old in _operations.Values.Where(o => o.Done && o.FinishedAt < time.GetUtcNow() - KeepFinished))
            _operations.TryRemove(old.Id, out _);
        var operation = new BulkOperation { Id = Guid.NewGuid().ToString("n")[..12], Action = action, StartedAt = time.GetUtcNow() };
        _operations[operation.Id] = operation;
        _ = Task.Run(() => RunAsync(operation, filter with { Limit = BatchSize, AfterId = null }, stopping), CancellationToken.None);
        return operation;
    }

    private async Task RunAsync(BulkOperation operation, JobListParams filter, CancellationToken ct)
    {
        try
        {
            operation.Total = await monitor.JobCountAsync(filter, ct);
            long? after = null;
            while (true)
            {
                var ids = await monitor.JobIdsAsync(filter with { AfterId = after }, ct);
                if (ids.Count == 0)
                    break;
                var changed = await admin.JobBulkAsync(new JobBulkParams(operation.Action, ids), ct);
                lock (operation)
                {
                    operation.Processed += ids.Count;
                    operation.Changed += changed.Count;
                }
                after = ids[^1];
                if (ids.Count < BatchSize)
                    break;
            }
        }
        catch (Exception ex)
        {
            operation.Error = ex is OperationCanceledException ? "The server stopped before the action finished." : ex.Message;
            logger.LogWarning(ex, "Bulk {Action} {Operation} stopped after {Processed} jobs.", operation.Action, operation.Id, operation.Processed);
        }
        finally
        {
            operation.FinishedAt = time.GetUtcNow();
            operation.Done = true;
        }
    }
}
