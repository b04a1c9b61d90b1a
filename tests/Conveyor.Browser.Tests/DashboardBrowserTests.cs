using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Conveyor.TestSupport;
using Microsoft.Playwright;
using Xunit;
using Xunit.Abstractions;

namespace Conveyor.Browser.Tests;

/// <summary>A browser test: skipped only off CI on a machine without Debian's chromium (CI installs it; there it never skips).</summary>
public sealed class BrowserFactAttribute : FactAttribute
{
    public const string Chromium = "/usr/bin/chromium";

    public BrowserFactAttribute()
    {
        if (!File.Exists(Chromium) && Environment.GetEnvironmentVariable("CI") is null)
            Skip = $"{Chromium} is not installed (apt-get install -y chromium); CI installs it and never skips this.";
    }
}

/// <summary>One real `conveyor serve` on a SQLite file and one headless Debian chromium, shared by the browser tests.</summary>
public sealed class DashboardFixture : IAsyncLifetime
{
    private readonly TempDirectory _dir = new("conveyor-browser");
    private ChildProcess? _server;
    private IPlaywright? _playwright;

    public string Url { get; } = $"http://127.0.0.1:{FreePort.Next()}";
    public HttpClient Http { get; private set; } = null!;
    public IBrowser Browser { get; private set; } = null!;

    /// <summary>Screenshots are kept here as test artifacts (CI keeps the folder).</summary>
    public static string Artifacts { get; } = Directory.CreateDirectory(Path.Combine(RepoPaths.Root, "artifacts", "screenshots")).FullName;

    public async Task InitializeAsync()
    {
        if (!File.Exists(BrowserFactAttribute.Chromium))
            return;
        _server = ChildProcess.Cli(["serve", "--database", _dir.File("conveyor.db"), "--urls", Url, "--concurrency", "16", "--poll-interval", "200ms"], workingDirectory: _dir.Path);
        await _server.WaitForOutputAsync("Conveyor serve started", TimeSpan.FromSeconds(60));
        Http = new HttpClient { BaseAddress = new Uri(Url), Timeout = TimeSpan.FromSeconds(30) };
        _playwright = await Playwright.CreateAsync();
        Browser = await _playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = BrowserFactAttribute.Chromium,
            Headless = true,
            Args = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                "--disable-sync", "--no-first-run", "--disable-quic"],
        });
    }

    public async Task<long> EnqueueAsync(string json)
    {
        var response = await Http.PostAsync("/api/jobs", new StringContent(json, Encoding.UTF8, "application/json"));
        response.EnsureSuccessStatusCode();
        return (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetInt64();
    }

    public async Task<JsonElement> WaitForStateAsync(long id, string state)
    {
        for (var i = 0; i < 300; i++)
        {
            var job = await Http.GetFromJsonAsync<JsonElement>($"/api/jobs/{id}");
            if (job.GetProperty("state").GetString() == state)
                return job;
            await Task.Delay(100);
        }
        throw new TimeoutException($"job {id} never reached {state}");
    }

    public async Task DisposeAsync()
    {
        if (Browser is not null)
            await Browser.DisposeAsync();
        _playwright?.Dispose();
        Http?.Dispose();
        if (_server is not null)
            await _server.DisposeAsync();
        _dir.Dispose();
    }
}

/// <summary>The dashboard in a real browser: live progress, retry, bulk retry, text-only rendering, the CSP.</summary>
public sealed class DashboardBrowserTests(DashboardFixture fixture, ITestOutputHelper output) : IClassFixture<DashboardFixture>
{
    private static readonly PageWaitForFunctionOptions Wait = new() { Timeout = 30_000, PollingInterval = 100 };

    private async Task<IPage> OpenAsync(string hash = "", string? url = null)
    {
        var page = await fixture.Browser.NewPageAsync(new BrowserNewPageOptions { ViewportSize = new ViewportSize { Width = 1280, Height = 900 } });
        page.Dialog += (_, dialog) => dialog.AcceptAsync();
        var errors = new List<string>();
        page.PageError += (_, error) => errors.Add(error);
        var response = await page.GotoAsync((url ?? fixture.Url) + "/" + hash);
        Assert.NotNull(response);
        Assert.Equal(200, response!.Status);
        return page;
    }

    private async Task ScreenshotAsync(IPage page, string name)
    {
        var path = Path.Combine(DashboardFixture.Artifacts, name + ".png");
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = path, FullPage = true });
        output.WriteLine($"screenshot: {path}");
    }

    [BrowserFact]
    public async Task The_page_carries_a_strict_csp_and_the_overview_shows_queues_and_workers()
    {
        await fixture.EnqueueAsync("""{"kind":"demo.noop","queue":"default"}""");
        var page = await fixture.Browser.NewPageAsync();
        var response = await page.GotoAsync(fixture.Url + "/");
        var csp = await response!.HeaderValueAsync("content-security-policy");
        Assert.NotNull(csp);
        Assert.Contains("script-src 'self'", csp);
        Assert.DoesNotContain("unsafe-inline", csp);
        Assert.DoesNotContain("http", csp);
        await page.WaitForSelectorAsync("#queues tr[data-queue=default]");
        await page.WaitForSelectorAsync("#workers tbody tr");
        await page.WaitForSelectorAsync("svg.chart");
        await WaitLiveAsync(page);
        await ScreenshotAsync(page, "overview");
    }

    [BrowserFact]
    public async Task Queue_limits_are_set_refused_and_cleared_from_the_overview()
    {
        await fixture.EnqueueAsync("""{"kind":"demo.noop","queue":"limited"}""");
        var page = await OpenAsync();
        var row = "#queues tr[data-queue=limited]";
        await page.WaitForSelectorAsync(row);
        Assert.Equal("none", (await page.Locator($"{row} .limits").TextContentAsync())?.Trim());

        await page.ClickAsync($"{row} .edit-limits");
        await page.FillAsync($"{row} .limits-form input[name=concurrency]", "3");
        await page.FillAsync($"{row} .limits-form input[name=rate]", "5/1s");
        await page.ClickAsync($"{row} .limits-form button[type=submit]");
        await page.WaitForFunctionAsync($"() => (document.querySelector('{row} .limits') || {{}}).textContent === '3 running (0 now) · 5/1s'", null, Wait);

        await page.ClickAsync($"{row} .edit-limits");
        await page.FillAsync($"{row} .limits-form input[name=concurrency]", "three");
        await page.ClickAsync($"{row} .limits-form button[type=submit]");
        await page.WaitForFunctionAsync($"() => document.querySelector('{row} .limits-form .error').textContent.includes('whole number')", null, Wait);
        var queue = (await fixture.Http.GetFromJsonAsync<JsonElement>("/api/queues")).EnumerateArray().Single(q => q.GetProperty("queue").GetString() == "limited");
        Assert.Equal(3, queue.GetProperty("limits").GetProperty("concurrency").GetInt32());   // the refused edit changed nothing

        await page.FillAsync($"{row} .limits-form input[name=concurrency]", "");
        await page.FillAsync($"{row} .limits-form input[name=rate]", "");
        await page.ClickAsync($"{row} .limits-form button[type=submit]");
        await page.WaitForFunctionAsync($"() => (document.querySelector('{row} .limits') || {{}}).textContent === 'none'", null, Wait);
        await ScreenshotAsync(page, "queue-limits");
    }

    private static Task WaitLiveAsync(IPage page) =>
        page.WaitForFunctionAsync("() => document.getElementById('live').textContent === 'live'", null, Wait);

    [BrowserFact]
    public async Task A_running_jobs_progress_bar_reaches_100_and_its_state_turns_completed_without_a_reload()
    {
        var page = await OpenAsync();
        var id = await fixture.EnqueueAsync("""{"kind":"demo.sleep","args":{"seconds":2,"steps":4}}""");
        await page.GotoAsync($"{fixture.Url}/#/jobs/{id}");
        await page.WaitForSelectorAsync("h1 .state");
        var navigations = 0;
        page.FrameNavigated += (_, frame) => { if (frame == page.MainFrame) navigations++; };
        // Some intermediate percentage is seen on the way (pushed, not polled), then 100 and completed.
        await page.WaitForFunctionAsync("() => { const c = document.querySelector('[data-field=progress] .progress-cell'); return c && c.dataset.percent !== '' && +c.dataset.percent > 0 && +c.dataset.percent < 100; }", null, Wait);
        await page.WaitForFunctionAsync("() => document.querySelector('h1 .state').dataset.state === 'completed'", null, Wait);
        await page.WaitForFunctionAsync("() => document.querySelector('[data-field=progress] .progress-cell').dataset.percent === '100'", null, Wait);
        Assert.Equal(0, navigations);
        Assert.Contains("\"slept\"", await page.Locator("#result").TextContentAsync());
        await ScreenshotAsync(page, "job-page");
    }

    [BrowserFact]
    public async Task A_waiting_jobs_page_lists_its_dependency_and_runs_when_it_ends()
    {
        var first = await fixture.EnqueueAsync("""{"kind":"demo.sleep","args":{"seconds":1.5,"steps":3}}""");
        var id = await fixture.EnqueueAsync($$"""{"kind":"demo.collect","dependsOn":[{{first}}]}""");
        var page = await OpenAsync($"#/jobs/{id}");
        await page.WaitForSelectorAsync("#dependencies");
        Assert.Equal("waiting", await page.EvaluateAsync<string>("() => document.querySelector('h1 .state').dataset.state"));
        Assert.Equal(first.ToString(), (await page.Locator("#dependencies tbody a").TextContentAsync())?.Trim());
        await page.WaitForFunctionAsync("() => document.querySelector('h1 .state').dataset.state === 'completed'", null, Wait);
        Assert.Contains("\"slept\"", await page.Locator("#result").TextContentAsync());
        await ScreenshotAsync(page, "job-dependencies");
    }

    [BrowserFact]
    public async Task A_job_of_a_kind_no_worker_runs_says_why_on_its_page()
    {
        var id = await fixture.EnqueueAsync("""{"kind":"demo.slep","args":{"seconds":1}}""");
        var page = await OpenAsync($"#/jobs/{id}");
        await page.WaitForSelectorAsync("#why li[data-code='no-worker-for-kind']");
        Assert.Contains("'demo.slep'", await page.Locator("#why li").First.TextContentAsync());
        Assert.Equal("queued", await page.EvaluateAsync<string>("() => document.querySelector('h1 .state').dataset.state"));
        await page.Locator("#delete").ClickAsync();
    }

    [BrowserFact]
    public async Task Retrying_a_failed_job_from_its_page_runs_it_again()
    {
        var id = await fixture.EnqueueAsync("""{"kind":"demo.fail","args":{"message":"boom"},"maxAttempts":1}""");
        await fixture.WaitForStateAsync(id, "failed");
        var page = await OpenAsync($"#/jobs/{id}");
        await page.WaitForSelectorAsync("#retry");
        Assert.Contains("boom", await page.Locator(".error-entry").First.TextContentAsync());
        await page.ClickAsync("#retry");
        // It runs again: a second attempt, which (demo.fail) fails again, shown without a reload.
        await page.WaitForFunctionAsync("() => document.querySelector('[data-field=attempt]').textContent.startsWith('2 of')", null, Wait);
        await page.WaitForFunctionAsync("() => document.querySelectorAll('.error-entry').length === 2", null, Wait);
        var job = await fixture.WaitForStateAsync(id, "failed");
        Assert.Equal(2, job.GetProperty("attempt").GetInt32());
    }

    [BrowserFact]
    public async Task Bulk_retry_of_a_filter_of_2000_failed_jobs()
    {
        const string tag = "bulk-2000";
        var jobs = string.Join(",", Enumerable.Range(0, 2000).Select(i => $$"""{"kind":"demo.fail","args":{"message":"n{{i}}"},"maxAttempts":1,"tags":["{{tag}}"]}"""));
        (await fixture.Http.PostAsync("/api/jobs/bulk", new StringContent($"[{jobs}]", Encoding.UTF8, "application/json"))).EnsureSuccessStatusCode();
        for (var i = 0; i < 600 && await FailedCountAsync(tag) < 2000; i++)
            await Task.Delay(200);
        Assert.Equal(2000, await FailedCountAsync(tag));

        var page = await OpenAsync($"#/jobs?tag={tag}&state=failed");
        await page.WaitForSelectorAsync("#jobs tbody tr[data-job]");
        await page.ClickAsync("[data-bulk=retry]");
        await page.WaitForFunctionAsync("() => document.getElementById('bulk-status').dataset.done === 'true'", null, Wait);
        var status = await page.Locator("#bulk-status").TextContentAsync();
        output.WriteLine(status);
        Assert.Contains("2,000 of 2,000 processed, 2,000 changed", status);
        // Every one of them ran again (demo.fail fails again: attempt 2).
        for (var i = 0; i < 600 && await AttemptTwoCountAsync(tag) < 2000; i++)
            await Task.Delay(200);
        Assert.Equal(2000, await AttemptTwoCountAsync(tag));
    }

    private async Task<int> FailedCountAsync(string tag) => (await ListAsync($"tag={tag}&state=failed")).Count;

    private async Task<int> AttemptTwoCountAsync(string tag) =>
        (await ListAsync($"tag={tag}&state=failed")).Count(j => j.GetProperty("attempt").GetInt32() == 2);

    private async Task<List<JsonElement>> ListAsync(string query)
    {
        var all = new List<JsonElement>();
        string? after = null;
        do
        {
            var page = await fixture.Http.GetFromJsonAsync<JsonElement>($"/api/jobs?{query}&limit=500" + (after is null ? "" : $"&after={after}"));
            all.AddRange(page.GetProperty("jobs").EnumerateArray());
            after = page.GetProperty("next").ValueKind == JsonValueKind.Null ? null : page.GetProperty("next").GetInt64().ToString();
        } while (after is not null);
        return all;
    }

    [BrowserFact]
    public async Task On_a_phone_nothing_overflows_the_screen_and_the_theme_can_be_switched()
    {
        var page = await fixture.Browser.NewPageAsync(new BrowserNewPageOptions { ViewportSize = new ViewportSize { Width = 375, Height = 740 }, IsMobile = true });
        await page.GotoAsync(fixture.Url + "/#/jobs");
        await page.WaitForSelectorAsync("#filters");
        Assert.True(await page.EvaluateAsync<bool>("() => document.documentElement.scrollWidth <= window.innerWidth + 1"), "the page is wider than the phone");
        await page.ClickAsync("#theme");
        var first = await page.EvaluateAsync<string?>("() => document.documentElement.getAttribute('data-theme')");
        await page.ClickAsync("#theme");
        var second = await page.EvaluateAsync<string?>("() => document.documentElement.getAttribute('data-theme')");
        Assert.Equal(("light", "dark"), (first, second));
        var background = await page.EvaluateAsync<string>("() => getComputedStyle(document.body).backgroundColor");
        Assert.Equal("rgb(15, 17, 21)", background);
        await ScreenshotAsync(page, "jobs-phone-dark");
    }

    [BrowserFact]
    public async Task A_table_source_on_postgresql_is_listed_and_run_now_from_the_schedules_page()
    {
        var database = await (await PostgresServer.GetAsync()).CreateDatabaseAsync("browser");
        async Task SqlAsync(string sql)
        {
            await using var connection = new Npgsql.NpgsqlConnection(database);
            await connection.OpenAsync();
            await new Npgsql.NpgsqlCommand(sql, connection).ExecuteNonQueryAsync();
        }
        var url = $"http://127.0.0.1:{FreePort.Next()}";
        await using var serve = ChildProcess.Cli(["serve", "--database", database, "--urls", url, "--poll-interval", "200ms"]);
        await serve.WaitForOutputAsync("Conveyor serve started", TimeSpan.FromSeconds(60));
        using var http = new HttpClient { BaseAddress = new Uri(url) };
        await SqlAsync("CREATE TABLE uploads (id serial PRIMARY KEY, status text NOT NULL)");
        (await http.PutAsync("/api/sources/uploads", new StringContent(
            """{"table":"uploads","statusColumn":"status","fromStatus":"new","toStatus":"taken","kind":"demo.noop","every":"1h"}""", Encoding.UTF8, "application/json"))).EnsureSuccessStatusCode();
        // Once the server's poller has had its first (empty) run, the next is an hour away: rows added now wait for "Run now".
        for (var i = 0; i < 100 && (await http.GetFromJsonAsync<JsonElement>("/api/sources"))[0].GetProperty("lastPolledAt").ValueKind == JsonValueKind.Null; i++)
            await Task.Delay(100);
        await SqlAsync("INSERT INTO uploads (status) SELECT 'new' FROM generate_series(1, 12)");

        var page = await OpenAsync("#/schedules", url);
        await page.WaitForSelectorAsync("#sources tr[data-source=uploads]");
        Assert.Contains("status: new → taken", await page.Locator("#sources tr[data-source=uploads]").TextContentAsync());
        await page.ClickAsync("#sources tr[data-source=uploads] button");
        await page.WaitForFunctionAsync("() => document.querySelector('#sources tr[data-source=uploads] td:nth-child(8)').textContent === '12'", null, Wait);
        await ScreenshotAsync(page, "table-sources");
    }

    [BrowserFact]
    public async Task A_schedules_history_fills_as_it_ticks_and_run_now_adds_a_triggered_run()
    {
        (await fixture.Http.PutAsync("/api/schedules/browser-tick", new StringContent("""{"cron":"* * * * * *","kind":"demo.noop"}""", Encoding.UTF8, "application/json"))).EnsureSuccessStatusCode();
        try
        {
            var page = await OpenAsync("#/schedules");
            await page.WaitForSelectorAsync("#schedules tr[data-schedule=browser-tick]");
            await page.ClickAsync("#schedules tr[data-schedule=browser-tick] a");
            await page.WaitForFunctionAsync("() => [...document.querySelectorAll('#history tbody tr')].filter(r => r.textContent.includes('enqueued')).length >= 2", null, Wait);
            await page.ClickAsync("text=Run now");
            await page.WaitForFunctionAsync("() => document.querySelector('#history').textContent.includes('triggered')", null, Wait);
            await ScreenshotAsync(page, "schedule-page");
        }
        finally
        {
            await fixture.Http.DeleteAsync("/api/schedules/browser-tick");
        }
    }

    [BrowserFact]
    public async Task A_batch_filter_shows_the_batch_finishing_live()
    {
        var page = await OpenAsync("#/jobs?batch=browser-batch");
        await page.WaitForSelectorAsync("#batch-summary");
        var jobs = string.Join(",", Enumerable.Range(0, 3).Select(_ => """{"kind":"demo.sleep","args":{"seconds":0.5,"steps":2}}"""));
        (await fixture.Http.PostAsync("/api/batches", new StringContent($$"""{"id":"browser-batch","jobs":[{{jobs}}]}""", Encoding.UTF8, "application/json"))).EnsureSuccessStatusCode();
        await page.ReloadAsync(); // the list shows the batch's jobs; the summary then follows them without a reload
        await page.WaitForFunctionAsync("() => document.getElementById('batch-summary').textContent.includes('3 of 3 finished')", null, Wait);
        Assert.Contains("done", await page.Locator("#batch-summary").TextContentAsync());
    }

    [BrowserFact]
    public async Task Markup_in_args_and_tags_is_shown_as_text_and_nothing_runs()
    {
        var id = await fixture.EnqueueAsync("""
            {"kind":"demo.noop","args":{"name":"<script>window.__xss = 1</script>","img":"<img src=x onerror=\"window.__xss = 2\">"},
             "tags":["<img src=y onerror=\"window.__xss = 3\">"]}
            """);
        var page = await OpenAsync($"#/jobs/{id}");
        await page.WaitForSelectorAsync("#args");
        var args = await page.Locator("#args").TextContentAsync();
        Assert.Contains("<script>window.__xss = 1</script>", args);
        Assert.Contains("<img src=x onerror=", args);
        Assert.Contains("<img src=y onerror=", await page.Locator("[data-field=tags]").TextContentAsync());
        Assert.Equal(0, await page.Locator("main img").CountAsync());
        Assert.Equal(0, await page.Locator("main script").CountAsync());
        await page.WaitForTimeoutAsync(300);
        Assert.True(await page.EvaluateAsync<bool>("() => window.__xss === undefined"));
    }
}
