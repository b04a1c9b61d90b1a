using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Conveyor.TestSupport;
using Xunit;

namespace Conveyor.Cli.Tests;

/// <summary>
/// A trace continued across processes: the enqueuer's W3C context (an HTTP header, the CLI's --traceparent) is stored with
/// the job and the attempt's span in the `serve` process continues it (or, for a --trace-links queue, links to it). The
/// server exports over OTLP (HTTP/protobuf) to a receiver in this test, which keeps what it is sent.
/// </summary>
public sealed class TraceTests : IAsyncLifetime
{
    private const string TraceId = "4bf92f3577b34da6a3ce929d0e0e4736";
    private const string SpanId = "00f067aa0ba902b7";
    private static readonly string TraceParent = $"00-{TraceId}-{SpanId}-01";
    private readonly TempDirectory _dir = new("conveyor-trace");
    private ChildProcess? _server;
    private HttpClient _http = null!;
    private readonly string _url = $"http://127.0.0.1:{FreePort.Next()}";
    private readonly System.Net.HttpListener _otlp = new();
    private readonly List<(string Path, byte[] Body)> _exported = [];

    public async Task InitializeAsync()
    {
        var otlp = $"http://127.0.0.1:{FreePort.Next()}/";
        _otlp.Prefixes.Add(otlp);
        _otlp.Start();
        _ = ReceiveAsync();
        _server = ChildProcess.Cli(["serve", "--database", _dir.File("c.db"), "--urls", _url, "--queues", "default,later", "--trace-links", "later",
                "--poll-interval", "200ms", "--handlers", RepoPaths.TestHandlersDll],
            new Dictionary<string, string>
            {
                ["OTEL_EXPORTER_OTLP_ENDPOINT"] = otlp.TrimEnd('/'), ["OTEL_EXPORTER_OTLP_PROTOCOL"] = "http/protobuf",
                ["OTEL_BSP_SCHEDULE_DELAY"] = "200", ["OTEL_METRIC_EXPORT_INTERVAL"] = "500",
            }, _dir.Path);
        await _server.WaitForOutputAsync("Conveyor serve started", TimeSpan.FromSeconds(60));
        _http = new HttpClient { BaseAddress = new Uri(_url) };
    }

    /// <summary>A minimal OTLP/HTTP receiver: keeps each export's path and body, answers 200.</summary>
    private async Task ReceiveAsync()
    {
        while (_otlp.IsListening)
        {
            try
            {
                var context = await _otlp.GetContextAsync();
                using var body = new MemoryStream();
                await context.Request.InputStream.CopyToAsync(body);
                lock (_exported)
                    _exported.Add((context.Request.Url!.AbsolutePath, body.ToArray()));
                context.Response.StatusCode = 200;
                context.Response.Close();
            }
            catch (Exception) when (!_otlp.IsListening)
            {
                return;
            }
        }
    }

    private bool Exported(string path, params string[] texts)
    {
        lock (_exported)
            return texts.All(t => _exported.Any(e => e.Path == path && e.Body.AsSpan().IndexOf(Encoding.UTF8.GetBytes(t)) >= 0));
    }

    [Fact]
    public async Task Spans_and_metrics_are_exported_over_otlp()
    {
        await RunAsync(Enqueue("""{"kind":"test.trace"}"""));
        // Protobuf keeps strings as UTF-8: the span names, the scope and the metrics' names can be found in the bodies
        // (the two spans may come in separate exports).
        for (var i = 0; i < 100 && !(Exported("/v1/traces", "process default", "send default", "Conveyor") && Exported("/v1/metrics", "conveyor.jobs.completed", "conveyor.job.run.duration")); i++)
            await Task.Delay(100);
        string Seen()
        {
            lock (_exported)
                return string.Join("; ", _exported.Select(e => $"{e.Path} {e.Body.Length} bytes"));
        }
        Assert.True(Exported("/v1/traces", "process default", "send default", "Conveyor"), "no trace export with Conveyor's spans: " + Seen());
        Assert.True(Exported("/v1/metrics", "conveyor.jobs.completed", "conveyor.job.run.duration"), "no metrics export with Conveyor's instruments");
    }

    private async Task<JsonElement> RunAsync(HttpRequestMessage request)
    {
        var response = await _http.SendAsync(request);
        response.EnsureSuccessStatusCode();
        var id = (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetInt64();
        for (var i = 0; i < 300; i++)
        {
            var job = await _http.GetFromJsonAsync<JsonElement>($"/api/jobs/{id}");
            if (job.GetProperty("state").GetString() == "completed")
                return job;
            await Task.Delay(100);
        }
        throw new TimeoutException($"job {id} did not complete");
    }

    private static HttpRequestMessage Enqueue(string body, string? traceParent = TraceParentDefault)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, "/api/jobs") { Content = new StringContent(body, Encoding.UTF8, "application/json") };
        if (traceParent is not null)
            request.Headers.Add("traceparent", traceParent);
        return request;
    }

    private const string TraceParentDefault = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

    [Fact]
    public async Task The_attempt_continues_the_http_callers_trace_through_the_enqueues_producer_span()
    {
        var job = await RunAsync(Enqueue("""{"kind":"test.trace"}"""));
        // Stored: the producer span the server made as the caller's child; the attempt's span is that span's child.
        var stored = job.GetProperty("traceParent").GetString()!.Split('-');
        Assert.Equal(TraceId, stored[1]);
        Assert.NotEqual(SpanId, stored[2]);
        var span = job.GetProperty("result");
        Assert.Equal((TraceId, stored[2], "Consumer", "Conveyor"), (span.GetProperty("traceId").GetString(), span.GetProperty("parentSpanId").GetString(),
            span.GetProperty("kind").GetString(), span.GetProperty("source").GetString()));
    }

    [Fact]
    public async Task A_link_queue_starts_a_new_trace_linked_to_the_callers()
    {
        var span = (await RunAsync(Enqueue("""{"kind":"test.trace","queue":"later"}"""))).GetProperty("result");
        Assert.NotEqual(TraceId, span.GetProperty("traceId").GetString());
        Assert.Equal([TraceId], span.GetProperty("links").EnumerateArray().Select(l => l.GetString()));
    }

    [Fact]
    public async Task The_cli_enqueues_in_another_process_with_a_traceparent_and_a_bad_one_is_refused()
    {
        var (code, stdout, all) = await ChildProcess.RunCliAsync(["enqueue", "test.trace", "--database", _dir.File("c.db"), "--traceparent", TraceParent, "--json"]);
        Assert.True(code == 0, all);
        var id = JsonDocument.Parse(stdout).RootElement.GetProperty("id").GetInt64();
        JsonElement job = default;
        for (var i = 0; i < 300 && (job = await _http.GetFromJsonAsync<JsonElement>($"/api/jobs/{id}")).GetProperty("state").GetString() != "completed"; i++)
            await Task.Delay(100);
        // The CLI has no tracing of its own: the job stores the given context, and the attempt is its child.
        Assert.Equal((TraceId, SpanId), (job.GetProperty("result").GetProperty("traceId").GetString(), job.GetProperty("result").GetProperty("parentSpanId").GetString()));

        Assert.Equal(2, (await ChildProcess.RunCliAsync(["enqueue", "test.trace", "--database", _dir.File("c.db"), "--traceparent", "not-a-trace"])).ExitCode);
        var bad = await _http.SendAsync(Enqueue("""{"kind":"test.trace"}""", "00-zz"));
        Assert.Equal(System.Net.HttpStatusCode.BadRequest, bad.StatusCode);
    }

    public async Task DisposeAsync()
    {
        _http?.Dispose();
        if (_server is not null)
            await _server.DisposeAsync();
        _otlp.Stop();
        _otlp.Close();
        _dir.Dispose();
    }
}
