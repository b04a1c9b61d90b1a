using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Conveyor.TestSupport;
using Xunit;

namespace Conveyor.Cli.Tests;

/// <summary>A `conveyor serve` with scoped keys and redaction: job read tokens, dashboard sign-in with anti-forgery, redacted args.</summary>
public sealed class SecuredServeFixture : IAsyncLifetime
{
    public const string AdminKey = "admin-key-0123";
    public const string ReadKey = "read-key-4567";
    public const string WorkerKey = "worker-key-89ab";
    public const string OperateKey = "operate-key-cdef";
    private readonly TempDirectory _dir = new("conveyor-secured");
    private ChildProcess? _server;

    public string Url { get; } = $"http://127.0.0.1:{FreePort.Next()}";

    public async Task InitializeAsync()
    {
        _server = ChildProcess.Cli(["serve", "--database", _dir.File("c.db"), "--urls", Url, "--concurrency", "4", "--poll-interval", "200ms",
            "--api-keys", $"{AdminKey}:admin,{ReadKey}:read,{WorkerKey}:worker,{OperateKey}:operate", "--redact", "demo.noop:password+card.number"], workingDirectory: _dir.Path);
        await _server.WaitForOutputAsync("Conveyor serve started", TimeSpan.FromSeconds(60));
    }

    /// <summary>A client of its own (cookies are per client), optionally holding a key.</summary>
    public HttpClient Client(string? key = null, CookieContainer? cookies = null)
    {
        var http = new HttpClient(new HttpClientHandler { CookieContainer = cookies ?? new CookieContainer(), AllowAutoRedirect = false })
        {
            BaseAddress = new Uri(Url), Timeout = TimeSpan.FromSeconds(30),
        };
        if (key is not null)
            http.DefaultRequestHeaders.Add("X-Api-Key", key);
        return http;
    }

    public async Task DisposeAsync()
    {
        if (_server is not null)
            await _server.DisposeAsync();
        _dir.Dispose();
    }
}

public sealed class SecuredServerTests(SecuredServeFixture server) : IClassFixture<SecuredServeFixture>
{
    private static StringContent Json(string json) => new(json, Encoding.UTF8, "application/json");

    private async Task<long> EnqueueAsync(string json)
    {
        using var admin = server.Client(SecuredServeFixture.AdminKey);
        var response = await admin.PostAsync("/api/jobs", Json(json));
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        return (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetInt64();
    }

    [Fact]
    public async Task A_job_token_opens_that_jobs_events_and_nothing_else()
    {
        var id = await EnqueueAsync("""{"kind":"demo.sleep","args":{"seconds":0.5,"steps":2}}""");
        var other = await EnqueueAsync("""{"kind":"demo.noop"}""");
        using var reader = server.Client(SecuredServeFixture.ReadKey);
        var issued = await reader.PostAsync($"/api/jobs/{id}/token", null);
        Assert.Equal(HttpStatusCode.OK, issued.StatusCode);
        var body = await issued.Content.ReadFromJsonAsync<JsonElement>();
        var token = body.GetProperty("token").GetString()!;
        Assert.True(body.GetProperty("expiresAt").GetDateTimeOffset() > DateTimeOffset.UtcNow.AddMinutes(10));

        using var browser = server.Client(); // no key: what a browser page of the user's app holds
        await using (var events = await SseClient.OpenAsync(browser, body.GetProperty("events").GetString()!))
        {
            Assert.Equal(HttpStatusCode.OK, events.Status);
            await events.ReadUntilAsync(e => e.GetProperty("state").GetString() == "completed", TimeSpan.FromSeconds(20));
        }
        Assert.Equal(HttpStatusCode.OK, (await browser.GetAsync($"/api/jobs/{id}?token={Uri.EscapeDataString(token)}")).StatusCode);
        await using (var wrongJob = await SseClient.OpenAsync(browser, $"/api/events?job={other}&token={Uri.EscapeDataString(token)}"))
            Assert.Equal(HttpStatusCode.Unauthorized, wrongJob.Status);
        await using (var noToken = await SseClient.OpenAsync(browser, $"/api/events?job={id}"))
            Assert.Equal(HttpStatusCode.Unauthorized, noToken.Status);
        await using (var forged = await SseClient.OpenAsync(browser, $"/api/events?job={id}&token={Uri.EscapeDataString(token[..^2] + "xx")}"))
            Assert.Equal(HttpStatusCode.Unauthorized, forged.Status);
        // A token opens one job's reads, not the list, not the queues, not a write.
        Assert.Equal(HttpStatusCode.Unauthorized, (await browser.GetAsync($"/api/jobs?token={Uri.EscapeDataString(token)}")).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await browser.PostAsync($"/api/jobs/{id}/retry?token={Uri.EscapeDataString(token)}", null)).StatusCode);
    }

    [Fact]
    public async Task Dashboard_sign_in_sets_a_strict_cookie_and_writes_need_its_anti_forgery_token()
    {
        var cookies = new CookieContainer();
        using var browser = server.Client(cookies: cookies);
        var page = await (await browser.GetAsync("/")).Content.ReadAsStringAsync();
        Assert.Contains("name=\"conveyor-signin\" content=\"required\"", page);
        Assert.Equal(HttpStatusCode.Unauthorized, (await browser.GetAsync("/api/queues")).StatusCode);

        var wrong = await browser.PostAsync("/signin", new FormUrlEncodedContent([new("key", "guess")]));
        Assert.Equal(HttpStatusCode.Redirect, wrong.StatusCode);
        Assert.Contains("signin=failed", wrong.Headers.Location!.OriginalString);
        Assert.Empty(cookies.GetCookies(new Uri(server.Url)));

        var signedIn = await browser.PostAsync("/signin", new FormUrlEncodedContent([new("key", SecuredServeFixture.AdminKey)]));
        Assert.Equal(HttpStatusCode.Redirect, signedIn.StatusCode);
        var setCookie = string.Join(";", signedIn.Headers.GetValues("Set-Cookie"));
        Assert.Contains("httponly", setCookie, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("samesite=strict", setCookie, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain(SecuredServeFixture.AdminKey, setCookie);

        page = await (await browser.GetAsync("/")).Content.ReadAsStringAsync();
        Assert.Contains("content=\"signed-in\"", page);
        var csrf = Regex.Match(page, "name=\"conveyor-csrf\" content=\"([^\"]+)\"").Groups[1].Value;
        Assert.NotEmpty(csrf);
        Assert.Equal(HttpStatusCode.OK, (await browser.GetAsync("/api/queues")).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await browser.PostAsync("/api/queues/signed/pause", null)).StatusCode);
        var withToken = new HttpRequestMessage(HttpMethod.Post, "/api/queues/signed/pause");
        withToken.Headers.Add("X-Conveyor-Csrf", csrf);
        Assert.Equal(HttpStatusCode.OK, (await browser.SendAsync(withToken)).StatusCode);

        // A read key signs in to a read-only dashboard.
        var readCookies = new CookieContainer();
        using var reader = server.Client(cookies: readCookies);
        await reader.PostAsync("/signin", new FormUrlEncodedContent([new("key", SecuredServeFixture.ReadKey)]));
        var readCsrf = Regex.Match(await (await reader.GetAsync("/")).Content.ReadAsStringAsync(), "name=\"conveyor-csrf\" content=\"([^\"]+)\"").Groups[1].Value;
        var readWrite = new HttpRequestMessage(HttpMethod.Post, "/api/queues/signed/resume");
        readWrite.Headers.Add("X-Conveyor-Csrf", readCsrf);
        Assert.Equal(HttpStatusCode.Forbidden, (await reader.SendAsync(readWrite)).StatusCode);
        // Another session's token is not this one's.
        var swapped = new HttpRequestMessage(HttpMethod.Post, "/api/queues/signed/resume");
        swapped.Headers.Add("X-Conveyor-Csrf", readCsrf);
        Assert.Equal(HttpStatusCode.Forbidden, (await browser.SendAsync(swapped)).StatusCode);

        Assert.Equal(HttpStatusCode.Redirect, (await browser.PostAsync("/signout", null)).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await browser.GetAsync("/api/queues")).StatusCode);
    }

    [Fact]
    public async Task Schedules_are_changed_with_an_admin_key_only()
    {
        const string body = """{"cron":"0 3 * * *","kind":"demo.noop"}""";
        using var reader = server.Client(SecuredServeFixture.ReadKey);
        Assert.Equal(HttpStatusCode.Forbidden, (await reader.PutAsync("/api/schedules/secured", Json(body))).StatusCode);
        using var admin = server.Client(SecuredServeFixture.AdminKey);
        Assert.Equal(HttpStatusCode.OK, (await admin.PutAsync("/api/schedules/secured", Json(body))).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await reader.GetAsync("/api/schedules/secured")).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await reader.PostAsync("/api/schedules/secured/trigger", null)).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await reader.DeleteAsync("/api/schedules/secured")).StatusCode);
        Assert.Equal(HttpStatusCode.NoContent, (await admin.DeleteAsync("/api/schedules/secured")).StatusCode);
    }

    [Fact]
    public async Task Redacted_args_fields_never_leave_the_server()
    {
        var id = await EnqueueAsync("""{"kind":"demo.noop","queue":"redact-parked","args":{"user":"ann","password":"hunter2","card":{"number":"4111111111111111","exp":"12/30"}}}""");
        using var admin = server.Client(SecuredServeFixture.AdminKey);
        var single = await admin.GetStringAsync($"/api/jobs/{id}");
        var list = await admin.GetStringAsync("/api/jobs?queue=redact-parked");
        var cancelled = await (await admin.PostAsync($"/api/jobs/{id}/cancel", null)).Content.ReadAsStringAsync();
        foreach (var text in new[] { single, list, cancelled })
        {
            Assert.DoesNotContain("hunter2", text);
            Assert.DoesNotContain("4111111111111111", text);
            Assert.Contains("[redacted]", text);
            Assert.Contains("12/30", text);
            Assert.Contains("ann", text);
        }
    }
}

/// <summary>Behind a trusted proxy, X-Forwarded-For decides who is local; a bad proxy address is refused at start.</summary>
public sealed class TrustedProxyTests
{
    [Fact]
    public async Task Behind_a_trusted_proxy_a_forwarded_remote_caller_needs_a_key()
    {
        using var dir = new TempDirectory("conveyor-proxy");
        var url = $"http://127.0.0.1:{FreePort.Next()}";
        await using var server = ChildProcess.Cli(["serve", "--database", dir.File("c.db"), "--urls", url, "--trusted-proxies", "127.0.0.1"], workingDirectory: dir.Path);
        await server.WaitForOutputAsync("Conveyor serve started", TimeSpan.FromSeconds(60));
        using var http = new HttpClient { BaseAddress = new Uri(url) };
        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync("/api/queues")).StatusCode);
        var remote = new HttpRequestMessage(HttpMethod.Get, "/api/queues");
        remote.Headers.Add("X-Forwarded-For", "203.0.113.7");
        var refused = await http.SendAsync(remote);
        Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
        Assert.Contains("only callers on this machine", await refused.Content.ReadAsStringAsync());

        var (code, _, output) = await ChildProcess.RunCliAsync(["serve", "--database", dir.File("d.db"), "--urls", $"http://127.0.0.1:{FreePort.Next()}", "--trusted-proxies", "not-an-ip"], TimeSpan.FromSeconds(60));
        Assert.Equal(2, code);
        Assert.Contains("not-an-ip", output);
    }
}

/// <summary>The external-worker protocol on a server with keys: the worker scope, and nothing else, opens it.</summary>
public sealed class SecuredWorkerProtocolTests(SecuredServeFixture server) : IClassFixture<SecuredServeFixture>
{
    [Fact]
    public async Task The_protocol_checker_passes_with_a_worker_key_and_other_keys_are_refused()
    {
        var (code, report) = await ChildProcess.CheckWorkerProtocolAsync(server.Url, "--worker-key", SecuredServeFixture.WorkerKey, "--operator-key", SecuredServeFixture.OperateKey);
        Assert.True(code == 0, report);
        Assert.Contains("14 checks, 14 passed, 0 failed", report);

        var claim = new StringContent("""{"workerId":"w","max":1}""", Encoding.UTF8, "application/json");
        using var admin = server.Client(SecuredServeFixture.AdminKey);
        Assert.Equal(HttpStatusCode.Forbidden, (await admin.PostAsync("/api/queues/default/claim", claim)).StatusCode);
        using var anonymous = server.Client();
        Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.PostAsync("/api/queues/default/claim", claim)).StatusCode);
        using var worker = server.Client(SecuredServeFixture.WorkerKey);
        Assert.Equal(HttpStatusCode.Forbidden, (await worker.PostAsync("/api/jobs", new StringContent("""{"kind":"demo.noop"}""", Encoding.UTF8, "application/json"))).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await worker.GetAsync("/api/jobs")).StatusCode);
    }
}
