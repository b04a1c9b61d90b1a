using System.Text.Json;

namespace Conveyor.Storage.Relational;

// Job dependencies: edges written with the waiting job, released by the transaction that ends the last dependency.
public abstract partial class SqlStore
{
    /// <inheritdoc />
    public async Task<IReadOnlyList<DependencyResult>> JobDependenciesAsync(long jobId, CancellationToken ct)
    {
        await using var session = await ReadAsync(ct);
        await using var command = Command(session, "dependency_list").With("id", jobId);
        return await ReadAllAsync(command, r => r.Dependency(), ct);
    }

    /// <summary>
    /// Before an insert whose rows wait on existing jobs: those jobs must exist (else nothing is written), and they are marked
    /// as waited on, a row write that orders this transaction with one ending them (dependency_mark.sql).
    /// </summary>
    private async Task MarkDependenciesAsync(SqlSession session, IReadOnlyList<JobInsertRow> jobs, CancellationToken ct)
    {
        var ids = jobs.SelectMany(j => j.DependsOn ?? []).Where(d => d.JobId is not null).Select(d => d.JobId!.Value).Distinct().Order().ToList();
        if (ids.Count == 0)
            return;
        await using var command = Command(session, "dependency_mark").With("ids", JsonSerializer.Serialize(ids));
        var found = (await ReadAllAsync(command, r => r.Long("id"), ct)).ToHashSet();
        if (ids.FirstOrDefault(id => !found.Contains(id)) is var missing and not 0)
            throw new JobValidationException($"Dependency {missing} does not exist: no job has this id.");
    }

    /// <summary>
    /// After the insert: the edges of each inserted waiting job (a row that found its unique key held inserted nothing and
    /// waits on nothing), then the release of those whose dependencies have ended already. Returns the released jobs.
    /// </summary>
    private async Task<List<AppliedOutcome>> InsertDependenciesAsync(SqlSession session, IReadOnlyList<JobInsertRow> jobs, JobInsertResult[] results, DateTimeOffset? now, CancellationToken ct)
    {
        var edges = new List<object>();
        var targets = new HashSet<long>();
        for (var i = 0; i < jobs.Count; i++)
        {
            if (jobs[i].DependsOn is not { Count: > 0 } dependsOn || results[i].Duplicate)
                continue;
            foreach (var dependency in dependsOn)
            {
                var target = dependency.JobId ?? results[dependency.RequestIndex!.Value].Id;
                targets.Add(target);
                edges.Add(new { job_id = results[i].Id, depends_on = target, on_failure = dependency.IgnoreFailure ? "ignore" : "fail" });
            }
        }
        if (edges.Count == 0)
            return [];
        // Rows of this insert that others of it wait on are marked too (dependency_mark.sql), now that they exist.
        var inserted = jobs.SelectMany(j => j.DependsOn ?? []).Where(d => d.RequestIndex is not null).Select(d => results[d.RequestIndex!.Value].Id).Distinct().Order().ToList();
        if (inserted.Count > 0)
        {
            await using var mark = Command(session, "dependency_mark").With("ids", JsonSerializer.Serialize(inserted));
            await mark.ExecuteNonQueryAsync(ct);
        }
        await using (var insert = Command(session, "dependency_insert").With("edges", JsonSerializer.Serialize(edges)))
            await insert.ExecuteNonQueryAsync(ct);
        return await ReleaseDependentsAsync(session, targets, now, ct);
    }

    /// <summary>
    /// In the (atomic) transaction that just ended, cancelled or deleted <paramref name="ended"/>: their waiting dependents are
    /// queued when every dependency has ended, or failed with a dependency they may not ignore, and so on down the graph
    /// (each level is one statement; a job leaves waiting once, so it ends). Returns every job it changed.
    /// </summary>
    private async Task<List<AppliedOutcome>> ReleaseDependentsAsync(SqlSession session, IEnumerable<long> ended, DateTimeOffset? now, CancellationToken ct)
    {
        var released = new List<AppliedOutcome>();
        var frontier = ended.Distinct().Order().ToList();
        while (frontier.Count > 0)
        {
            await using var command = Command(session, "dependency_release", now).With("ids", JsonSerializer.Serialize(frontier));
            var level = await ReadAllAsync(command, r => new AppliedOutcome(r.Long("id"), r.String("queue"), r.State("state")), ct);
            released.AddRange(level);
            frontier = [.. level.Where(j => j.State.IsTerminal()).Select(j => j.Id).Order()];
        }
        return released;
    }
}
