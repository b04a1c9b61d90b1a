using System.Net;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using Conveyor.TestSupport;
using Xunit;

namespace Conveyor.Cli.Tests;

/// <summary>A tiny HTTP/1.1 server on loopback that answers each request with a status chosen by its path, counting connections.</summary>
internal sealed class TinyHttpServer : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;
    private int _connections;

    public TinyHttpServer()
    {
        _listener.Start();
        _loop = Task.Run(AcceptAsync);
    }

    public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;
    public int Connections => Volatile.Read(ref _connections);
    public List<string> Requests { get; } = [];

    private async Task AcceptAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            TcpClient client;
            try
            {
                client = await _listener.AcceptTcpClientAsync(_stop.Token);
            }
            catch (OperationCanceledException)
            {
                return;
            }
            Interlocked.Increment(ref _connections);
            _ = Task.Run(async () =>
            {
                using (client)
                {
                    var stream = client.GetStream();
                    var reader = new StreamReader(stream, Encoding.ASCII);
                    var requestLine = await reader.ReadLineAsync() ?? "";
                    var length = 0;
                    while (await reader.ReadLineAsync() is { Length: > 0 } header)
                    {
                        if (header.StartsWith("Content-Length:", StringComparison.OrdinalIgnoreCase))
                            length = int.Parse(header["Content-Length:".Length..].Trim());
                    }
                    var body = new char[length];
                    var read = 0;
                    while (read < length)
                        read += await reader.ReadAsync(body, read, length - read);
                    lock (Requests)
                        Requests.Add(requestLine + " " + new string(body));
                    var status = requestLine.Contains("/500") ? 500 : requestLine.Contains("/404") ? 404 : 200;
                    var payload = status == 200 ? """{"ok":true}""" : "nope";
                    var response = $"HTTP/1.1 {status} X\r\nContent-Type: application/json\r\nContent-Length: {payload.Length}\r\nConnection: close\r\n\r\n{payload}";
                    await stream.WriteAsync(Encoding.ASCII.GetBytes(response));
                }
            });
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        await _loop;
    }
}

/// <summary>The built-in http kind against a local server: 2xx completes, 5xx retries, 4xx fails, refused hosts are never connected to.</summary>
public sealed class HttpJobTests
{
    private static async Task<JsonElement> RunAsync(HttpClient http, string args, Func<JsonElement, bool> until)
    {
        var response = await http.PostAsync("/api/jobs", new StringContent($$"""{"kind":"http","maxAttempts":2,"args":{{args}}}""", Encoding.UTF8, "application/json"));
        var id = (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetInt64();
        for (var i = 0; i < 200; i++)
        {
            var job = await http.GetFromJsonAsync<JsonElement>($"/api/jobs/{id}");
            if (until(job))
                return job;
            await Task.Delay(100);
        }
        throw new TimeoutException($"job {id}: {await http.GetStringAsync($"/api/jobs/{id}")}");
    }

    private static string State(JsonElement job) => job.GetProperty("state").GetString()!;

    [Fact]
    public async Task Calls_only_allowed_hosts_and_maps_statuses_to_outcomes()
    {
        await using var target = new TinyHttpServer();
        using var dir = new TempDirectory("conveyor-http");
        var url = $"http://127.0.0.1:{FreePort.Next()}";
        await using var server = ChildProcess.Cli(["serve", "--database", dir.File("c.db"), "--urls", url, "--http-allow", "127.0.0.1"], workingDirectory: dir.Path);
        await server.WaitForOutputAsync("Conveyor serve started", TimeSpan.FromSeconds(60));
        using var http = new HttpClient { BaseAddress = new Uri(url) };

        var ok = await RunAsync(http, $$$"""{"url":"http://127.0.0.1:{{{target.Port}}}/hook","method":"POST","body":{"order":7},"headers":{"X-Token":"t"}}""", j => State(j) is "completed" or "failed");
        Assert.Equal("completed", State(ok));
        Assert.Equal((200, true), (ok.GetProperty("result").GetProperty("status").GetInt32(), ok.GetProperty("result").GetProperty("body").GetProperty("ok").GetBoolean()));
        Assert.Contains(target.Requests, r => r.StartsWith("POST /hook") && r.Contains("""{"order":7}"""));

        var retried = await RunAsync(http, $$"""{"url":"http://127.0.0.1:{{target.Port}}/500"}""", j => j.GetProperty("attempt").GetInt32() >= 1 && State(j) is "scheduled" or "failed");
        Assert.Contains("HTTP 500", retried.GetProperty("errors")[0].GetProperty("message").GetString());

        var notFound = await RunAsync(http, $$"""{"url":"http://127.0.0.1:{{target.Port}}/404"}""", j => State(j) is "completed" or "failed");
        Assert.Equal(("failed", 1), (State(notFound), notFound.GetProperty("attempt").GetInt32()));

        // "localhost" is not listed, and a listed name that resolves to an internal address would be refused too:
        // nothing reaches the server.
        var before = target.Connections;
        var refused = await RunAsync(http, $$"""{"url":"http://localhost:{{target.Port}}/x"}""", j => State(j) is "completed" or "failed");
        Assert.Equal("failed", State(refused));
        Assert.Contains("not on the HTTP allow-list", refused.GetProperty("errors")[0].GetProperty("message").GetString());
        Assert.Equal(before, target.Connections);
    }

    [Fact]
    public async Task Without_an_allow_list_nothing_is_called()
    {
        await using var target = new TinyHttpServer();
        using var dir = new TempDirectory("conveyor-http-off");
        var url = $"http://127.0.0.1:{FreePort.Next()}";
        await using var server = ChildProcess.Cli(["serve", "--database", dir.File("c.db"), "--urls", url], workingDirectory: dir.Path);
        await server.WaitForOutputAsync("Conveyor serve started", TimeSpan.FromSeconds(60));
        using var http = new HttpClient { BaseAddress = new Uri(url) };
        var job = await RunAsync(http, $$"""{"url":"http://127.0.0.1:{{target.Port}}/hook"}""", j => State(j) is "completed" or "failed");
        Assert.Equal("failed", State(job));
        Assert.Contains("call nothing until hosts are allowed", job.GetProperty("errors")[0].GetProperty("message").GetString());
        Assert.Equal(0, target.Connections);
    }
}
