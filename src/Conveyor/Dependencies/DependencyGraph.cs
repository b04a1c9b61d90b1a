using Conveyor.Storage;

namespace Conveyor;

/// <summary>
/// Turns the dependencies of one call's requests into store rows: refs resolved to request positions, duplicates merged,
/// unknown refs and cycles refused before anything is written. Only a call can hold a cycle: an existing job cannot wait on
/// one that does not exist yet, so checking the refs of the call is enough.
/// </summary>
internal static class DependencyGraph
{
    /// <summary>At most this many dependencies per job: a wide fan-in is a batch with a callback, not an edge list.</summary>
    public const int MaxPerJob = 1000;

    /// <summary>Per request, its dependency rows (null when it has none).</summary>
    public static IReadOnlyList<JobDependencyRow>?[] Resolve(IReadOnlyList<JobRequest> requests)
    {
        var byRef = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var i = 0; i < requests.Count; i++)
        {
            if (requests[i].Options?.Ref is not { } reference)
                continue;
            JobValidation.ValidateNameText(reference, $"Job {i}: ref");
            if (!byRef.TryAdd(reference, i))
                throw new JobValidationException($"Job {i}: ref '{reference}' is already used by job {byRef[reference]} of this call.");
        }

        var rows = new IReadOnlyList<JobDependencyRow>?[requests.Count];
        for (var i = 0; i < requests.Count; i++)
        {
            if (requests[i].Options?.DependsOn is not { Count: > 0 } dependsOn)
                continue;
            if (dependsOn.Count > MaxPerJob)
                throw new JobValidationException($"Job {i}: at most {MaxPerJob} dependencies (got {dependsOn.Count}).");
            var merged = new Dictionary<(long?, int?), JobDependencyRow>();
            foreach (var dependency in dependsOn)
            {
                ArgumentNullException.ThrowIfNull(dependency);
                JobDependencyRow row;
                if (dependency.JobId is { } id)
                {
                    if (id <= 0)
                        throw new JobValidationException($"Job {i}: dependency id {id} is not a job id.");
                    row = new JobDependencyRow(id, null, dependency.OnFailure == DependencyFailure.Ignore);
                }
                else if (byRef.TryGetValue(dependency.Ref!, out var index))
                    row = new JobDependencyRow(null, index, dependency.OnFailure == DependencyFailure.Ignore);
                else
                    throw new JobValidationException($"Job {i}: depends on ref '{dependency.Ref}', which no job of this call has.");
                // The same dependency twice: one edge, failing the job if either entry says so.
                var key = (row.JobId, row.RequestIndex);
                merged[key] = merged.TryGetValue(key, out var earlier) ? row with { IgnoreFailure = earlier.IgnoreFailure && row.IgnoreFailure } : row;
            }
            rows[i] = [.. merged.Values];
        }
        RefuseCycles(requests, rows);
        return rows;
    }

    private static void RefuseCycles(IReadOnlyList<JobRequest> requests, IReadOnlyList<JobDependencyRow>?[] rows)
    {
        // Depth-first, iterative (a chain of thousands must not overflow the stack); 1 = on the current path, 2 = done.
        var mark = new byte[rows.Length];
        for (var start = 0; start < rows.Length; start++)
        {
            if (mark[start] != 0)
                continue;
            var path = new List<int> { start };
            var next = new List<int> { 0 };
            mark[start] = 1;
            while (path.Count > 0)
            {
                var node = path[^1];
                var edges = rows[node];
                if (edges is null || next[^1] >= edges.Count)
                {
                    mark[node] = 2;
                    path.RemoveAt(path.Count - 1);
                    next.RemoveAt(next.Count - 1);
                    continue;
                }
                var edge = edges[next[^1]++];
                if (edge.RequestIndex is not { } target || mark[target] == 2)
                    continue;
                if (mark[target] == 1)
                {
                    var cycle = path.Skip(path.IndexOf(target)).Append(target).Select(n => Name(requests, n));
                    throw new JobValidationException($"Dependencies form a cycle: {string.Join(" -> ", cycle)}.");
                }
                mark[target] = 1;
                path.Add(target);
                next.Add(0);
            }
        }
    }

    private static string Name(IReadOnlyList<JobRequest> requests, int index) =>
        requests[index].Options?.Ref is { } reference ? $"'{reference}'" : $"job {index}";
}
