using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;

namespace Conveyor.Http;

/// <summary>The args of the built-in <c>http</c> kind.</summary>
/// <param name="Url">An absolute http or https URL whose host is on the allow-list.</param>
/// <param name="Method">GET (default), POST, PUT, PATCH or DELETE.</param>
/// <param name="Headers">Request headers.</param>
/// <param name="Body">A JSON body (sent as application/json).</param>
/// <param name="TimeoutSeconds">Per attempt; default 30, at most 600.</param>
public sealed record HttpJobArgs(string Url, string? Method = null, Dictionary<string, string>? Headers = null, JsonElement? Body = null, double? TimeoutSeconds = null);

/// <summary>
/// Which hosts the <c>http</c> kind may call. No entry: no call at all. An entry is a host name, an IP address or a CIDR
/// range. A destination that is a loopback, private, link-local or otherwise internal address is called only when that
/// address (or a range holding it) is listed itself — listing a name that resolves there is not enough — so a job can
/// never be pointed at internal services. Checked again at connect time, on the address actually dialled.
/// </summary>
public sealed class HttpAllowList
{
    private readonly HashSet<string> _hosts = new(StringComparer.OrdinalIgnoreCase);
    private readonly List<(IPAddress Network, int Prefix)> _ranges = [];

    /// <summary>Parses entries such as <c>api.example.com</c>, <c>127.0.0.1</c>, <c>10.1.0.0/16</c>.</summary>
    public HttpAllowList(IEnumerable<string> entries)
    {
        foreach (var raw in entries.Select(e => e.Trim()).Where(e => e.Length > 0))
        {
            var slash = raw.IndexOf('/');
            if (slash > 0 && IPAddress.TryParse(raw[..slash], out var network) && int.TryParse(raw[(slash + 1)..], out var prefix)
                && prefix >= 0 && prefix <= (network.AddressFamily == AddressFamily.InterNetwork ? 32 : 128))
                _ranges.Add((network, prefix));
            else if (IPAddress.TryParse(raw.Trim('[', ']'), out var address))
                _ranges.Add((address, address.AddressFamily == AddressFamily.InterNetwork ? 32 : 128));
            else if (Uri.CheckHostName(raw) == UriHostNameType.Dns)
                _hosts.Add(raw);
            else
                throw new JobValidationException($"HTTP allow-list entry '{raw}' is not a host name, an IP address or a CIDR range.");
        }
    }

    /// <summary>No entries: the http kind calls nothing.</summary>
    public bool IsEmpty => _hosts.Count == 0 && _ranges.Count == 0;

    /// <summary>Whether a URL's host is listed (by name, or as an address in a listed range).</summary>
    public bool ListsHost(string host) => _hosts.Contains(host) || (IPAddress.TryParse(host.Trim('[', ']'), out var ip) && InRanges(ip));

    /// <summary>Whether <paramref name="address"/>, which <paramref name="host"/> resolved to, may be dialled.</summary>
    public bool MayConnect(string host, IPAddress address)
    {
        if (address.IsIPv4MappedToIPv6)
            address = address.MapToIPv4();
        if (InRanges(address))
            return true; // the address itself is listed
        return _hosts.Contains(host) && !IsInternal(address);
    }

    private bool InRanges(IPAddress address) => _ranges.Any(r => InRange(address, r.Network, r.Prefix));

    private static bool InRange(IPAddress address, IPAddress network, int prefix)
    {
        if (address.AddressFamily != network.AddressFamily)
            return false;
        var a = address.GetAddressBytes();
        var n = network.GetAddressBytes();
        for (var i = 0; i < a.Length && prefix > 0; i++, prefix -= 8)
        {
            var mask = prefix >= 8 ? 0xFF : (byte)(0xFF << (8 - prefix));
            if ((a[i] & mask) != (n[i] & mask))
                return false;
        }
        return true;
    }

    /// <summary>Loopback, private (10/8, 172.16/12, 192.168/16, fc00::/7), link-local, CGNAT, unspecified, multicast.</summary>
    public static bool IsInternal(IPAddress address)
    {
        if (address.IsIPv4MappedToIPv6)
            address = address.MapToIPv4();
        if (IPAddress.IsLoopback(address) || address.Equals(IPAddress.Any) || address.Equals(IPAddress.IPv6Any))
            return true;
        if (address.AddressFamily == AddressFamily.InterNetworkV6)
            return address.IsIPv6LinkLocal || address.IsIPv6SiteLocal || address.IsIPv6Multicast || (address.GetAddressBytes()[0] & 0xFE) == 0xFC;
        var b = address.GetAddressBytes();
        return b[0] == 10 || b[0] == 0 || (b[0] == 172 && b[1] >= 16 && b[1] <= 31) || (b[0] == 192 && b[1] == 168)
            || (b[0] == 169 && b[1] == 254) || (b[0] == 100 && b[1] >= 64 && b[1] <= 127) || b[0] >= 224;
    }
}

/// <summary>A connection the allow-list refused: the job fails without retrying, and nothing was sent.</summary>
public sealed class HttpDestinationRefusedException(string message) : Exception(message);

/// <summary>
/// The built-in <c>http</c> kind: calls a URL; 2xx completes with the status and body (JSON when it is, else text, up to
/// 64 KiB) as the result; 5xx, 429 and timeouts retry; other 4xx and refused destinations fail at once.
/// </summary>
internal sealed class HttpJobHandler(HttpJobCaller caller) : IJobHandler<HttpJobArgs>
{
    public Task<JobResult> HandleAsync(JobContext<HttpJobArgs> job, CancellationToken ct) => caller.CallAsync(job.Args, ct);
}

/// <summary>The one HttpClient of the http kind, whose every connection goes through the allow-list.</summary>
internal sealed class HttpJobCaller : IDisposable
{
    private const int MaxBodyChars = 64 * 1024;
    private readonly HttpAllowList _allow;
    private readonly HttpClient _client;

    public HttpJobCaller(HttpAllowList allow)
    {
        _allow = allow;
        _client = new HttpClient(new SocketsHttpHandler
        {
            AllowAutoRedirect = false, // a redirect would go around the allow-list
            UseProxy = false,
            ConnectCallback = ConnectAsync,
        }) { Timeout = Timeout.InfiniteTimeSpan };
    }

    private async ValueTask<Stream> ConnectAsync(SocketsHttpConnectionContext context, CancellationToken ct)
    {
        var host = context.DnsEndPoint.Host;
        var addresses = IPAddress.TryParse(host.Trim('[', ']'), out var literal) ? [literal] : await Dns.GetHostAddressesAsync(host, ct);
        var allowed = addresses.Where(a => _allow.MayConnect(host, a)).ToList();
        if (allowed.Count == 0)
            throw new HttpDestinationRefusedException($"{host} resolves to {string.Join(", ", addresses.Select(a => a.ToString()))}, which the HTTP allow-list does not permit (internal addresses must be listed themselves).");
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            await socket.ConnectAsync(allowed[0], context.DnsEndPoint.Port, ct);
            return new NetworkStream(socket, ownsSocket: true);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    public async Task<JobResult> CallAsync(HttpJobArgs args, CancellationToken ct)
    {
        if (_allow.IsEmpty)
            return JobResult.Discard("HTTP jobs call nothing until hosts are allowed (--http-allow, AddHttpJobs(...)).");
        if (!Uri.TryCreate(args.Url, UriKind.Absolute, out var url) || url.Scheme is not ("http" or "https"))
            return JobResult.Discard($"'{args.Url}' is not an absolute http or https URL.");
        if (!_allow.ListsHost(url.Host))
            return JobResult.Discard($"Host '{url.Host}' is not on the HTTP allow-list.");
        var method = (args.Method ?? "GET").ToUpperInvariant();
        if (method is not ("GET" or "POST" or "PUT" or "PATCH" or "DELETE" or "HEAD"))
            return JobResult.Discard($"HTTP method '{args.Method}' is not one of GET, POST, PUT, PATCH, DELETE, HEAD.");
        var timeout = TimeSpan.FromSeconds(Math.Clamp(args.TimeoutSeconds ?? 30, 0.1, 600));
        using var request = new HttpRequestMessage(new HttpMethod(method), url);
        if (args.Body is { } body)
            request.Content = new StringContent(body.GetRawText(), Encoding.UTF8, "application/json");
        foreach (var (name, value) in args.Headers ?? [])
        {
            if (!request.Headers.TryAddWithoutValidation(name, value))
                request.Content?.Headers.TryAddWithoutValidation(name, value);
        }
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(ct);
        limit.CancelAfter(timeout);
        try
        {
            using var response = await _client.SendAsync(request, HttpCompletionOption.ResponseContentRead, limit.Token);
            var status = (int)response.StatusCode;
            var text = await response.Content.ReadAsStringAsync(limit.Token);
            if (text.Length > MaxBodyChars)
                text = text[..MaxBodyChars];
            if (status is >= 200 and < 300)
                return JobResult.Completed(new { status, body = AsJsonOrText(text, response.Content.Headers.ContentType) });
            if (status >= 500 || status == 429)
                return JobResult.Retry($"HTTP {status} from {url.Host}");
            return JobResult.Discard($"HTTP {status} from {url.Host}: {(text.Length > 500 ? text[..500] : text)}");
        }
        catch (HttpRequestException ex) when (ex.InnerException is HttpDestinationRefusedException refused)
        {
            return JobResult.Discard(refused.Message);
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            return JobResult.Retry($"No answer from {url.Host} within {timeout.TotalSeconds:0.#} s.");
        }
        catch (HttpRequestException ex)
        {
            return JobResult.Retry($"Calling {url.Host} failed: {ex.Message}");
        }
    }

    private static object AsJsonOrText(string text, MediaTypeHeaderValue? type)
    {
        if (type?.MediaType?.Contains("json", StringComparison.OrdinalIgnoreCase) == true)
        {
            try
            {
                return JsonDocument.Parse(text).RootElement.Clone();
            }
            catch (JsonException)
            {
            }
        }
        return text;
    }

    public void Dispose() => _client.Dispose();
}
