using System.Collections.Concurrent;
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
/// Retry, cancel or delete everything a filter selects — not one page of it — in the background of the server process
/// (<see cref="IJobClient.ApplyToAllAsync"/> walks it in batches), with its progress readable at GET /api/jobs/actions/{id}.
/// </summary>
internal sealed class BulkOperations(IJobClient client, TimeProvider time, ILogger logger)
{
    private static readonly TimeSpan KeepFinished = TimeSpan.FromHours(1);
    private readonly ConcurrentDictionary<string, BulkOperation> _operations = new(StringComparer.Ordinal);

    public BulkOperation? Get(string id) => _operations.TryGetValue(id, out var operation) ? operation : null;

    public BulkOperation Start(JobBulkAction action, JobQuery filter, CancellationToken stopping)
    {
        foreach (var old in _operations.Values.Where(o => o.Done && o.FinishedAt < time.GetUtcNow() - KeepFinished))
            _operations.TryRemove(old.Id, out _);
        var operation = new BulkOperation { Id = Guid.NewGuid().ToString("n")[..12], Action = action, StartedAt = time.GetUtcNow() };
        _operations[operation.Id] = operation;
        _ = Task.Run(() => RunAsync(operation, filter, stopping), CancellationToken.None);
        return operation;
    }

    private async Task RunAsync(BulkOperation operation, JobQuery filter, CancellationToken ct)
    {
        try
        {
            await client.ApplyToAllAsync(operation.Action, filter, p =>
            {
                operation.Total = p.Total;
                operation.Processed = p.Processed;
                operation.Changed = p.Changed;
            }, ct);
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
