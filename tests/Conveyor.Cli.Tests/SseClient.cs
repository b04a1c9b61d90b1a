using System.Text.Json;

namespace Conveyor.Cli.Tests;

/// <summary>A minimal server-sent events reader for the tests: event name, id and data, one at a time.</summary>
internal sealed class SseClient : IAsyncDisposable
{
    private readonly HttpResponseMessage _response;
    private readonly StreamReader _reader;

    private SseClient(HttpResponseMessage response, StreamReader reader)
    {
        _response = response;
        _reader = reader;
    }

    public System.Net.HttpStatusCode Status => _response.StatusCode;

    public static async Task<SseClient> OpenAsync(HttpClient http, string path, string? lastEventId = null, string? apiKey = null)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, path);
        request.Headers.Accept.ParseAdd("text/event-stream");
        if (lastEventId is not null)
            request.Headers.Add("Last-Event-ID", lastEventId);
        if (apiKey is not null)
            request.Headers.Add("X-Api-Key", apiKey);
        var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        return new SseClient(response, new StreamReader(await response.Content.ReadAsStreamAsync()));
    }

    /// <summary>The next event (comments and the retry line skipped), or null when none arrives within <paramref name="timeout"/>.</summary>
    public async Task<(string Event, string? Id, JsonElement Data)?> NextAsync(TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        string? name = null, id = null, data = null;
        try
        {
            while (await _reader.ReadLineAsync(cts.Token) is { } line)
            {
                if (line.Length == 0)
                {
                    if (data is not null)
                        return (name ?? "message", id, JsonDocument.Parse(data).RootElement.Clone());
                    name = id = null;
                    continue;
                }
                if (line.StartsWith("event: ", StringComparison.Ordinal)) name = line[7..];
                else if (line.StartsWith("id: ", StringComparison.Ordinal)) id = line[4..];
                else if (line.StartsWith("data: ", StringComparison.Ordinal)) data = line[6..];
            }
        }
        catch (OperationCanceledException)
        {
        }
        return null;
    }

    /// <summary>Events until one satisfies <paramref name="until"/> (included), within <paramref name="timeout"/> in all.</summary>
    public async Task<List<(string Event, string? Id, JsonElement Data)>> ReadUntilAsync(Func<JsonElement, bool> until, TimeSpan timeout)
    {
        var events = new List<(string, string?, JsonElement)>();
        var deadline = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < deadline)
        {
            var next = await NextAsync(deadline - DateTime.UtcNow);
            if (next is null)
                break;
            events.Add(next.Value);
            if (until(next.Value.Data))
                return events;
        }
        throw new TimeoutException($"the awaited event did not arrive; got {events.Count}: {string.Join(" | ", events.Select(e => e.Item3.GetRawText()))}");
    }

    public ValueTask DisposeAsync()
    {
        _reader.Dispose();
        _response.Dispose();
        return ValueTask.CompletedTask;
    }
}
