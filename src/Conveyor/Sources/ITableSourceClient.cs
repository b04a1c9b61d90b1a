using Conveyor.Storage;

namespace Conveyor.Sources;

/// <summary>Define, inspect, run and remove table sources (PostgreSQL). Thread-safe; one per application.</summary>
public interface ITableSourceClient
{
    /// <summary>Every source, by name.</summary>
    Task<IReadOnlyList<TableSourceInfo>> ListAsync(CancellationToken ct = default);

    /// <summary>
    /// Creates or redefines a source by name. Checked first: names and values (<see cref="JobValidationException"/>), and that
    /// the table and its columns exist. Every process picks the change up at its next pass.
    /// </summary>
    Task<TableSourceInfo> UpsertAsync(TableSourceDefinition source, CancellationToken ct = default);

    /// <summary>Removes a source (its jobs stay); false when there was none.</summary>
    Task<bool> DeleteAsync(string name, CancellationToken ct = default);

    /// <summary>Runs a source once now; returns how many rows it moved (and jobs it enqueued).</summary>
    Task<int> RunAsync(string name, CancellationToken ct = default);
}

/// <summary>No table source has this name.</summary>
public sealed class TableSourceNotFoundException(string name) : JobValidationException($"No table source named '{name}'.")
{
    /// <summary>The name asked for.</summary>
    public string Name { get; } = name;
}

internal sealed class TableSourceClient(IConveyorStore store, JobRowFactory rows, StoreReadiness readiness) : ITableSourceClient
{
    private ITableSourceStore Sources => store as ITableSourceStore
        ?? throw new JobValidationException($"Table sources need PostgreSQL ({store.Description} has none); on SQLite, enqueue from your own code.");

    public async Task<IReadOnlyList<TableSourceInfo>> ListAsync(CancellationToken ct = default)
    {
        var sources = Sources;
        await readiness.EnsureReadyAsync(ct);
        return await sources.TableSourceListAsync(ct);
    }

    public async Task<TableSourceInfo> UpsertAsync(TableSourceDefinition source, CancellationToken ct = default)
    {
        TableSourceValidation.Validate(source);
        // Strict kinds and the kind's defaults, as for any enqueue: the stored source carries its resolved attempt budget.
        var row = rows.Create(new JobRequest(source.Kind, "{}", new EnqueueOptions { Queue = source.Queue, Priority = source.Priority, MaxAttempts = source.MaxAttempts }));
        var sources = Sources;
        await readiness.EnsureReadyAsync(ct);
        return await sources.TableSourceUpsertAsync(source with { MaxAttempts = row.MaxAttempts }, ct);
    }

    public async Task<bool> DeleteAsync(string name, CancellationToken ct = default)
    {
        var sources = Sources;
        await readiness.EnsureReadyAsync(ct);
        return await sources.TableSourceDeleteAsync(name, ct);
    }

    public async Task<int> RunAsync(string name, CancellationToken ct = default)
    {
        var source = (await ListAsync(ct)).FirstOrDefault(s => s.Definition.Name == name) ?? throw new TableSourceNotFoundException(name);
        return await Sources.TableSourcePollAsync(source.Definition, ct);
    }
}
