using System.Globalization;
using System.Text.RegularExpressions;

namespace Conveyor.Cli.Tests;

/// <summary>
/// A strict reader of the Prometheus text exposition format (0.0.4), for checking a scrape by the format's rules:
/// HELP/TYPE lines, metric and label names, label-value escaping, values, one TYPE per family declared before its samples,
/// contiguous families, no duplicate series, and histograms with cumulative buckets whose +Inf bucket equals _count.
/// </summary>
internal static partial class PrometheusText
{
    public sealed record Sample(string Name, IReadOnlyDictionary<string, string> Labels, double Value);

    public sealed record Scrape(IReadOnlyDictionary<string, string> Types, IReadOnlyList<Sample> Samples)
    {
        public IEnumerable<Sample> Of(string name, params (string Key, string Value)[] labels) =>
            Samples.Where(s => s.Name == name && labels.All(l => s.Labels.GetValueOrDefault(l.Key) == l.Value));
    }

    [GeneratedRegex("^[a-zA-Z_:][a-zA-Z0-9_:]*$")]
    private static partial Regex MetricName();

    [GeneratedRegex("^[a-zA-Z_][a-zA-Z0-9_]*$")]
    private static partial Regex LabelName();

    public static Scrape Parse(string text)
    {
        var types = new Dictionary<string, string>(StringComparer.Ordinal);
        var samples = new List<Sample>();
        var seenSeries = new HashSet<string>(StringComparer.Ordinal);
        var finishedFamilies = new HashSet<string>(StringComparer.Ordinal);
        string? currentFamily = null;
        var number = 0;
        foreach (var line in text.Split('\n'))
        {
            number++;
            void Fail(string why) => throw new FormatException($"line {number}: {why}: {line}");
            if (line.Length == 0)
                continue;
            if (line.StartsWith('#'))
            {
                var parts = line.Split(' ', 4);
                if (parts.Length >= 3 && parts[1] is "HELP" or "TYPE")
                {
                    if (!MetricName().IsMatch(parts[2]))
                        Fail("bad metric name");
                    if (parts[1] == "TYPE")
                    {
                        if (parts.Length != 4 || parts[3] is not ("counter" or "gauge" or "histogram" or "summary" or "untyped"))
                            Fail("bad TYPE");
                        if (!types.TryAdd(parts[2], parts[3]))
                            Fail("a second TYPE for the family");
                        if (samples.Any(s => FamilyOf(s.Name, types) == parts[2]))
                            Fail("TYPE after the family's samples");
                    }
                }
                continue;
            }
            var (name, labels, tail) = ReadSeries(line, Fail);
            var fields = tail.Trim().Split(' ');
            if (fields.Length is < 1 or > 2 || !TryValue(fields[0], out var value) || (fields.Length == 2 && !long.TryParse(fields[1], out _)))
                Fail("bad value or timestamp");
            var family = FamilyOf(name, types) ?? throw new FormatException($"line {number}: sample of an undeclared family: {line}");
            if (family != currentFamily)
            {
                if (currentFamily is not null)
                    finishedFamilies.Add(currentFamily);
                if (finishedFamilies.Contains(family))
                    Fail("the family's samples are not together");
                currentFamily = family;
            }
            if (!seenSeries.Add(name + "{" + string.Join(",", labels.OrderBy(l => l.Key).Select(l => $"{l.Key}={l.Value}")) + "}"))
                Fail("duplicate series");
            samples.Add(new Sample(name, labels, value));
        }
        CheckHistograms(types, samples);
        return new Scrape(types, samples);
    }

    private static string? FamilyOf(string name, Dictionary<string, string> types)
    {
        if (types.ContainsKey(name))
            return name;
        foreach (var suffix in new[] { "_bucket", "_sum", "_count" })
        {
            if (name.EndsWith(suffix, StringComparison.Ordinal) && types.GetValueOrDefault(name[..^suffix.Length]) is "histogram" or "summary")
                return name[..^suffix.Length];
        }
        return null;
    }

    private static (string Name, Dictionary<string, string> Labels, string Tail) ReadSeries(string line, Action<string> fail)
    {
        var brace = line.IndexOf('{');
        var space = line.IndexOf(' ');
        var labels = new Dictionary<string, string>(StringComparer.Ordinal);
        if (brace < 0 || (space >= 0 && space < brace))
        {
            var plain = line[..space];
            if (!MetricName().IsMatch(plain))
                fail("bad metric name");
            return (plain, labels, line[space..]);
        }
        var name = line[..brace];
        if (!MetricName().IsMatch(name))
            fail("bad metric name");
        var i = brace + 1;
        while (line[i] != '}')
        {
            var equals = line.IndexOf('=', i);
            var label = line[i..equals];
            if (!LabelName().IsMatch(label) || line[equals + 1] != '"')
                fail("bad label");
            var value = new System.Text.StringBuilder();
            var j = equals + 2;
            for (; line[j] != '"'; j++)
            {
                if (line[j] == '\\')
                {
                    j++;
                    value.Append(line[j] switch { '\\' => '\\', '"' => '"', 'n' => '\n', _ => throw new FormatException($"bad escape in: {line}") });
                }
                else
                    value.Append(line[j]);
            }
            if (!labels.TryAdd(label, value.ToString()))
                fail("a label twice");
            i = j + 1;
            if (line[i] == ',')
                i++;
            else if (line[i] != '}')
                fail("labels not separated by commas");
        }
        return (name, labels, line[(i + 1)..]);
    }

    private static bool TryValue(string text, out double value)
    {
        switch (text)
        {
            case "+Inf": value = double.PositiveInfinity; return true;
            case "-Inf": value = double.NegativeInfinity; return true;
            case "NaN": value = double.NaN; return true;
            default: return double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out value);
        }
    }

    private static void CheckHistograms(Dictionary<string, string> types, List<Sample> samples)
    {
        foreach (var family in types.Where(t => t.Value == "histogram").Select(t => t.Key))
        {
            var series = samples.Where(s => s.Name == family + "_bucket")
                .GroupBy(s => string.Join(",", s.Labels.Where(l => l.Key != "le").OrderBy(l => l.Key).Select(l => $"{l.Key}={l.Value}")));
            foreach (var buckets in series)
            {
                var ordered = buckets.Select(b => (Le: TryValue(b.Labels["le"], out var le) ? le : throw new FormatException($"{family}: bad le"), b.Value)).OrderBy(b => b.Le).ToList();
                for (var k = 1; k < ordered.Count; k++)
                {
                    if (ordered[k].Value < ordered[k - 1].Value)
                        throw new FormatException($"{family} {{{buckets.Key}}}: buckets are not cumulative");
                }
                if (!double.IsPositiveInfinity(ordered[^1].Le))
                    throw new FormatException($"{family} {{{buckets.Key}}}: no +Inf bucket");
                var count = samples.Single(s => s.Name == family + "_count" && string.Join(",", s.Labels.OrderBy(l => l.Key).Select(l => $"{l.Key}={l.Value}")) == buckets.Key);
                if (count.Value != ordered[^1].Value)
                    throw new FormatException($"{family} {{{buckets.Key}}}: the +Inf bucket is not _count");
                if (!samples.Any(s => s.Name == family + "_sum"))
                    throw new FormatException($"{family}: no _sum");
            }
        }
    }
}
