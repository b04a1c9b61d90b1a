using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Conveyor.TestSupport;
using Xunit;

namespace Conveyor.Cli.Tests;

/// <summary>GET /metrics of a real `conveyor serve`, read by the exposition format's rules, and the Grafana dashboard's queries against it.</summary>
public sealed class MetricsTests(ServeFixture serve) : IClassFixture<ServeFixture>
{
    private async Task<PrometheusText.Scrape> ScrapeUntilAsync(Func<PrometheusText.Scrape, bool> done)
    {
        PrometheusText.Scrape scrape = null!;
        for (var i = 0; i < 100; i++)
        {
            scrape = PrometheusText.Parse(await serve.Http.GetStringAsync("/metrics"));
            if (done(scrape))
                return scrape;
            await Task.Delay(200);
        }
        return scrape;
    }

    [Fact]
    public async Task A_scrape_follows_the_format_and_counts_jobs_by_queue_and_kind()
    {
        var ok = (await (await serve.Http.PostAsync("/api/jobs", new StringContent("""{"kind":"demo.noop","queue":"default"}""", Encoding.UTF8, "application/json")))
            .Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetInt64();
        var bad = (await (await serve.Http.PostAsync("/api/jobs", new StringContent("""{"kind":"demo.fail","maxAttempts":1}""", Encoding.UTF8, "application/json")))
            .Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetInt64();
        await serve.WaitFinishedAsync(ok);
        await serve.WaitFinishedAsync(bad);

        // Queue gauges come from a snapshot refreshed every 5 s while observed: the first scrapes may not have it yet.
        var scrape = await ScrapeUntilAsync(s => s.Of("conveyor_queue_jobs", ("queue", "default"), ("state", "completed")).Any());
        Assert.Equal("counter", scrape.Types["conveyor_jobs_completed_total"]);
        Assert.Equal("histogram", scrape.Types["conveyor_job_run_duration_seconds"]);
        Assert.Equal("gauge", scrape.Types["conveyor_queue_jobs"]);
        Assert.True(scrape.Of("conveyor_jobs_completed_total", ("queue", "default"), ("kind", "demo.noop")).Single().Value >= 1);
        Assert.True(scrape.Of("conveyor_jobs_failed_total", ("queue", "default"), ("kind", "demo.fail")).Single().Value >= 1);
        Assert.True(scrape.Of("conveyor_jobs_enqueued_total", ("kind", "demo.noop")).Sum(s => s.Value) >= 1);
        Assert.True(scrape.Of("conveyor_job_run_duration_seconds_count", ("kind", "demo.fail"), ("outcome", "failed")).Single().Value >= 1);
        Assert.True(scrape.Of("conveyor_queue_jobs", ("queue", "default"), ("state", "completed")).Single().Value >= 1);
        Assert.Single(scrape.Of("conveyor_worker_free_slots"));
    }

    [Fact]
    public async Task Every_metric_the_grafana_dashboard_queries_exists()
    {
        var job = (await (await serve.Http.PostAsync("/api/jobs", new StringContent("""{"kind":"demo.noop"}""", Encoding.UTF8, "application/json")))
            .Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetInt64();
        await serve.WaitFinishedAsync(job);
        var scrape = await ScrapeUntilAsync(s => s.Of("conveyor_queue_oldest_age_seconds").Any());
        var exported = scrape.Samples.Select(s => s.Name).ToHashSet(StringComparer.Ordinal);

        using var dashboard = JsonDocument.Parse(await File.ReadAllTextAsync(Path.Combine(RepoPaths.Root, "dashboards", "conveyor-grafana.json")));
        var queries = dashboard.RootElement.GetProperty("panels").EnumerateArray()
            .SelectMany(p => p.GetProperty("targets").EnumerateArray().Select(t => t.GetProperty("expr").GetString()!))
            .Append(dashboard.RootElement.GetProperty("templating").GetProperty("list")[1].GetProperty("query").GetProperty("query").GetString()!)
            .ToList();
        var named = queries.SelectMany(q => Regex.Matches(q, @"\bconveyor_[a-z_]+\b").Select(m => m.Value)).Distinct().ToList();
        Assert.True(named.Count >= 10, string.Join(", ", named));
        Assert.All(named, name => Assert.True(exported.Contains(name), $"the dashboard queries {name}, which the server does not export"));

        // The alert rules in docs/operating.md (and any other rules block of the docs) query series that exist too.
        var rules = DocBlocks.All().Where(b => b.Runner == "prometheus-rules").ToList();
        Assert.NotEmpty(rules);
        foreach (var block in rules)
        {
            var expressions = Regex.Matches(block.Code, @"^\s*expr:\s*(.+)$", RegexOptions.Multiline).Select(m => m.Groups[1].Value).ToList();
            Assert.True(expressions.Count > 0, $"{block}: no expr lines");
            foreach (var name in expressions.SelectMany(e => Regex.Matches(e, @"\bconveyor_[a-z_]+\b").Select(m => m.Value)))
                Assert.True(exported.Contains(name), $"{block}: a rule queries {name}, which the server does not export");
        }
    }
}

/// <summary>The format checker refuses what the format forbids (so a passing scrape means something).</summary>
public sealed class PrometheusTextTests
{
    [Theory]
    [InlineData("x_total 1", "undeclared")]
    [InlineData("# TYPE x counter\nx{a=\"1\"} 1\nx{a=\"1\"} 2", "duplicate")]
    [InlineData("# TYPE x counter\nx{a=\"bad\\q\"} 1", "escape")]
    [InlineData("# TYPE x counter\nx{1a=\"v\"} 1", "label")]
    [InlineData("# TYPE x gauge\nx one", "value")]
    [InlineData("# TYPE h histogram\nh_bucket{le=\"1\"} 2\nh_bucket{le=\"+Inf\"} 1\nh_sum 1\nh_count 1", "cumulative")]
    [InlineData("# TYPE h histogram\nh_bucket{le=\"1\"} 1\nh_bucket{le=\"+Inf\"} 2\nh_sum 1\nh_count 3", "_count")]
    [InlineData("# TYPE a gauge\n# TYPE b gauge\na 1\nb 1\na{x=\"y\"} 2", "together")]
    public void Malformed_scrapes_are_refused(string text, string why) =>
        Assert.Contains(why, Assert.Throws<FormatException>(() => PrometheusText.Parse(text)).Message);

    [Fact]
    public void A_well_formed_scrape_is_read()
    {
        var scrape = PrometheusText.Parse("# HELP x_total Help \\n text\n# TYPE x_total counter\nx_total{q=\"a\\\"b\",k=\"\\\\\"} 3 1700000000\n# TYPE h histogram\nh_bucket{le=\"0.5\"} 1\nh_bucket{le=\"+Inf\"} 2\nh_sum 0.7\nh_count 2\n");
        Assert.Equal(("a\"b", "\\", 3.0), (scrape.Samples[0].Labels["q"], scrape.Samples[0].Labels["k"], scrape.Samples[0].Value));
    }
}
