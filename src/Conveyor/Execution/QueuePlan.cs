namespace Conveyor.Execution;

/// <summary>
/// The order in which a worker fills its free slots from its queues, from <see cref="ConveyorOptions.Queues"/> entries
/// <c>name</c> or <c>name:weight</c>.
/// <list type="bullet">
/// <item>No weights (<c>default,mail</c>): one claim over all the queues; the jobs' priority (then age) decides across them.</item>
/// <item>Any weight: tiers in list order. An unweighted queue is a tier of its own, served strictly before the tiers after
/// it; consecutive weighted queues share a tier, and its slots go to them in proportion to their weights
/// (<c>critical,default:3,low:1</c>: critical first; what critical leaves, three to default for each one to low).
/// Strict order for all: weight the first (<c>a:1,b,c</c>).</item>
/// </list>
/// A tier's unused share (a queue with fewer ready jobs) goes to its other queues before the next tier is asked.
/// </summary>
internal sealed class QueuePlan
{
    private const int MaxWeight = 1000;

    private QueuePlan(IReadOnlyList<string> names, IReadOnlyList<QueueTier>? tiers)
    {
        Names = names;
        Tiers = tiers;
    }

    /// <summary>The queue names, without weights.</summary>
    public IReadOnlyList<string> Names { get; }

    /// <summary>Null: one claim over all queues. Else the tiers, served in order.</summary>
    public IReadOnlyList<QueueTier>? Tiers { get; }

    /// <summary>Parses the entries; throws <see cref="JobValidationException"/> naming a bad one.</summary>
    public static QueuePlan Parse(IEnumerable<string> entries)
    {
        var parsed = new List<(string Name, int? Weight)>();
        foreach (var entry in entries)
        {
            var colon = entry.LastIndexOf(':');
            var name = colon < 0 ? entry : entry[..colon];
            int? weight = null;
            if (colon >= 0)
            {
                if (!int.TryParse(entry[(colon + 1)..], System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var w) || w is < 1 or > MaxWeight)
                    throw new JobValidationException($"Queue '{entry}': a weight is a whole number from 1 to {MaxWeight}, as in 'default:3'.");
                weight = w;
            }
            JobValidation.ValidateQueue(name);
            if (parsed.Any(p => p.Name == name))
                throw new JobValidationException($"Queue '{name}' is listed twice.");
            parsed.Add((name, weight));
        }
        var names = parsed.Select(p => p.Name).ToList();
        if (parsed.All(p => p.Weight is null))
            return new QueuePlan(names, null);

        var tiers = new List<QueueTier>();
        var group = new List<(string, int)>();
        foreach (var (name, weight) in parsed)
        {
            if (weight is { } w)
            {
                group.Add((name, w));
                continue;
            }
            if (group.Count > 0)
                tiers.Add(new QueueTier([.. group]));
            group.Clear();
            tiers.Add(new QueueTier([(name, 1)]));
        }
        if (group.Count > 0)
            tiers.Add(new QueueTier([.. group]));
        return new QueuePlan(names, tiers);
    }
}

/// <summary>Queues that share slots by weight (one queue: it takes them all).</summary>
internal sealed class QueueTier((string Queue, int Weight)[] queues)
{
    private readonly Lock _gate = new();
    private readonly int[] _credit = new int[queues.Length];
    private readonly int _total = queues.Sum(q => q.Weight);

    public IReadOnlyList<(string Queue, int Weight)> Queues => queues;

    /// <summary>
    /// How many of <paramref name="slots"/> each queue gets, by smooth weighted round-robin (nginx's): each slot goes to the
    /// queue with the most credit after every queue earned its weight, which then pays the total back. The credit carries
    /// over between claims, so one slot at a time (a busy worker) still follows the weights, and no queue starves.
    /// </summary>
    public IReadOnlyList<(string Queue, int Slots)> Split(int slots)
    {
        var counts = new int[queues.Length];
        lock (_gate)
        {
            for (var s = 0; s < slots; s++)
            {
                var best = 0;
                for (var i = 0; i < queues.Length; i++)
                {
                    _credit[i] += queues[i].Weight;
                    if (_credit[i] > _credit[best])
                        best = i;
                }
                _credit[best] -= _total;
                counts[best]++;
            }
        }
        return [.. queues.Select((q, i) => (q.Queue, counts[i])).Where(c => c.Item2 > 0)];
    }
}
