using System.Net;
using Microsoft.AspNetCore.Http;

namespace Conveyor.Web;

/// <summary>Marks a route that needs a scope other than the default (GET: read; anything else: operate).</summary>
internal sealed record RequiredScope(ApiScope Scope);

/// <summary>Marks a route that a job read token may open, for the job in its {id} or ?job=.</summary>
internal sealed record JobTokenAccepted;

/// <summary>
/// Who may call an /api route. In order: a job read token (only on routes that take one, only for its job); an API key
/// (Authorization: Bearer or X-Api-Key) with the scopes the route needs; a dashboard session cookie, with its
/// anti-forgery header on anything but GET. With no key configured, callers on this machine are served (the socket's
/// remote address, which X-Forwarded-For changes only behind a configured trusted proxy) and cross-site browser
/// requests that would change something are refused.
/// </summary>
internal sealed class ApiAccessFilter(ConveyorWeb web) : IEndpointFilter
{
    public ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var http = context.HttpContext;
        var request = http.Request;
        var metadata = http.GetEndpoint()?.Metadata;
        var isRead = HttpMethods.IsGet(request.Method) || HttpMethods.IsHead(request.Method);
        var needed = metadata?.GetMetadata<RequiredScope>()?.Scope ?? (isRead ? ApiScope.Read : ApiScope.Operate);
        var keys = web.Options.ApiKeys;

        var token = request.Query["token"].ToString();
        if (token.Length > 0 && metadata?.GetMetadata<JobTokenAccepted>() is not null)
        {
            var job = request.RouteValues.TryGetValue("id", out var id) ? id?.ToString() : request.Query["job"].ToString();
            return long.TryParse(job, out var jobId) && web.Tokens.Allows(token, jobId)
                ? next(context)
                : Refuse(StatusCodes.Status401Unauthorized, "Unauthorized", "The job token is invalid, expired, or for another job.");
        }

        var given = request.Headers["X-Api-Key"].ToString();
        var authorization = request.Headers.Authorization.ToString();
        if (authorization.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
            given = authorization["Bearer ".Length..].Trim();
        if (given.Length > 0 && keys.Any)
        {
            return keys.ScopesOf(given) is not { } scopes
                ? Refuse(StatusCodes.Status401Unauthorized, "Unauthorized", "This API key is not one the server accepts.")
                : Check(scopes, needed, request, context, next);
        }

        var cookie = request.Cookies[DashboardSessions.CookieName];
        if (!string.IsNullOrEmpty(cookie) && keys.Any)
        {
            if (web.Sessions.ScopesOf(cookie) is not { } scopes)
                return Refuse(StatusCodes.Status401Unauthorized, "Unauthorized", "The dashboard session has expired; sign in again.");
            if (!isRead && !web.Sessions.CsrfMatches(cookie, request.Headers[DashboardSessions.CsrfHeader]))
                return Refuse(StatusCodes.Status403Forbidden, "Forbidden", $"A request made with the dashboard's session must carry its {DashboardSessions.CsrfHeader} header.");
            return Check(scopes, needed, request, context, next);
        }

        if (keys.Any)
        {
            return Refuse(StatusCodes.Status401Unauthorized, "Unauthorized",
                "This Conveyor API needs an API key: send 'Authorization: Bearer KEY' or 'X-Api-Key: KEY'.");
        }
        if (!web.Options.AllowRemoteWithoutKey && !IsLocal(http.Connection.RemoteIpAddress))
        {
            return Refuse(StatusCodes.Status403Forbidden, "Forbidden",
                "No API key is configured, so only callers on this machine are served. Configure keys to serve other machines.");
        }
        if (!isRead && IsCrossSite(request))
            return Refuse(StatusCodes.Status403Forbidden, "Forbidden", "Cross-site requests may not change jobs.");
        return next(context);
    }

    private static ValueTask<object?> Check(ApiScope held, ApiScope needed, HttpRequest request, EndpointFilterInvocationContext context, EndpointFilterDelegate next) =>
        ConveyorApiKeys.Grants(held, needed)
            ? next(context)
            : Refuse(StatusCodes.Status403Forbidden, "Forbidden",
                $"This key's scopes ({held}) do not allow {request.Method} {request.Path}: it needs {needed.ToString().ToLowerInvariant()}.");

    /// <summary>No socket (an in-process test server) or a loopback address.</summary>
    private static bool IsLocal(IPAddress? remote) => remote is null || IPAddress.IsLoopback(remote);

    /// <summary>A browser says where a request comes from: Origin on cross-origin writes, Sec-Fetch-Site on all.</summary>
    private static bool IsCrossSite(HttpRequest request)
    {
        if (request.Headers["Sec-Fetch-Site"].ToString() is "cross-site" or "same-site")
            return true;
        var origin = request.Headers.Origin.ToString();
        return origin.Length > 0 && (!Uri.TryCreate(origin, UriKind.Absolute, out var uri) || !string.Equals(uri.Authority, request.Host.Value, StringComparison.OrdinalIgnoreCase));
    }

    private static ValueTask<object?> Refuse(int status, string title, string detail) =>
        ValueTask.FromResult<object?>(Results.Problem(statusCode: status, title: title, detail: detail));
}
