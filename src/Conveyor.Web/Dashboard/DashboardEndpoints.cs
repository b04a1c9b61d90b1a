using System.Collections.Concurrent;
using System.Net;
using System.Reflection;
using System.Security.Cryptography;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Conveyor.Web;

/// <summary>Maps Conveyor's live dashboard: one page and its two assets, embedded in this assembly (nothing to build).</summary>
public static class ConveyorDashboardEndpoints
{
    /// <summary>
    /// No inline script or style and no remote origin: everything the page runs comes from this server, and whatever a
    /// job's args or errors hold is drawn as text, so even a job that carries markup cannot run anything.
    /// </summary>
    internal const string ContentSecurityPolicy =
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; " +
        "form-action 'self'; base-uri 'none'; frame-ancestors 'none'";

    private static readonly ConcurrentDictionary<string, (byte[] Bytes, string ETag)> Assets = new(StringComparer.Ordinal);

    /// <summary>
    /// Maps the dashboard at <paramref name="path"/> ("/" for the root, "/jobs" in an app of one's own). It reads
    /// everything from the API that <c>MapConveyor</c> maps at /api of the same app, and needs no job handlers. With
    /// API keys configured it asks for one and keeps a signed session cookie; an app may instead protect it with its own
    /// authorization policy: <c>MapConveyorDashboard("/jobs").RequireAuthorization("ops")</c>.
    /// </summary>
    public static RouteGroupBuilder MapConveyorDashboard(this IEndpointRouteBuilder endpoints, string path = "/", ConveyorWebOptions? options = null)
    {
        var web = ConveyorWeb.For(endpoints, options);
        var prefix = "/" + path.Trim('/');
        var group = endpoints.MapGroup(prefix == "/" ? "" : prefix);
        // One route: "/jobs" and "/jobs/" are the same pattern to routing (two routes made every request ambiguous: a 500).
        // The page redirects "/jobs" to "/jobs/" itself, so that its relative asset URLs resolve under the prefix.
        group.MapGet("/", (HttpContext context) => Page(context, web)).ExcludeFromDescription();
        group.MapGet("/assets/{name}", (string name, HttpContext context) => Asset(name, context)).ExcludeFromDescription();
        group.MapPost("/signin", (HttpRequest request) => SignInAsync(request.HttpContext, web)).ExcludeFromDescription().DisableAntiforgery();
        group.MapPost("/signout", (HttpContext context) => SignOut(context, web)).ExcludeFromDescription().DisableAntiforgery();
        return group;
    }

    private static string BasePath(HttpContext context)
    {
        var path = (context.Request.PathBase + context.Request.Path).Value ?? "/";
        return path.EndsWith('/') ? path : path + "/";
    }

    private static IResult Page(HttpContext context, ConveyorWeb web)
    {
        SecurityHeaders(context.Response);
        if (!(context.Request.Path.Value ?? "/").EndsWith('/'))
            return Results.Redirect(context.Request.PathBase + context.Request.Path + "/");
        var cookie = context.Request.Cookies[DashboardSessions.CookieName];
        var keys = web.Options.ApiKeys;
        var signedIn = keys.Any && !string.IsNullOrEmpty(cookie) && web.Sessions.ScopesOf(cookie) is not null;
        var signin = !keys.Any ? "none" : signedIn ? "signed-in" : "required";
        var html = System.Text.Encoding.UTF8.GetString(Load("index.html").Bytes)
            .Replace("{{base}}", WebUtility.HtmlEncode(BasePath(context)), StringComparison.Ordinal)
            .Replace("{{api}}", WebUtility.HtmlEncode(context.Request.PathBase + "/api/"), StringComparison.Ordinal)
            .Replace("{{csrf}}", signedIn ? web.Sessions.CsrfFor(cookie!) : "", StringComparison.Ordinal)
            .Replace("{{signin}}", signin, StringComparison.Ordinal);
        context.Response.Headers.CacheControl = "no-store";
        return Results.Content(html, "text/html; charset=utf-8");
    }

    private static IResult Asset(string name, HttpContext context)
    {
        if (name is not ("app.js" or "app.css"))
            return Results.NotFound();
        SecurityHeaders(context.Response);
        var (bytes, etag) = Load(name);
        context.Response.Headers.ETag = etag;
        context.Response.Headers.CacheControl = "no-cache";
        if (context.Request.Headers.IfNoneMatch.ToString() == etag)
            return Results.StatusCode(StatusCodes.Status304NotModified);
        return Results.Bytes(bytes, name.EndsWith(".js", StringComparison.Ordinal) ? "text/javascript; charset=utf-8" : "text/css; charset=utf-8");
    }

    private static async Task<IResult> SignInAsync(HttpContext context, ConveyorWeb web)
    {
        var back = BasePath(context)[..^"signin/".Length];
        if (!context.Request.HasFormContentType)
            return Results.Redirect(back + "?signin=failed");
        var form = await context.Request.ReadFormAsync(context.RequestAborted);
        if (web.Options.ApiKeys.ScopesOf(form["key"].ToString()) is not { } scopes)
            return Results.Redirect(back + "?signin=failed");
        var (cookie, expires) = web.Sessions.Create(scopes);
        context.Response.Cookies.Append(DashboardSessions.CookieName, cookie, new CookieOptions
        {
            HttpOnly = true, SameSite = SameSiteMode.Strict, Secure = context.Request.IsHttps, Path = "/", Expires = expires,
        });
        return Results.Redirect(back);
    }

    private static IResult SignOut(HttpContext context, ConveyorWeb web)
    {
        context.Response.Cookies.Delete(DashboardSessions.CookieName, new CookieOptions { Path = "/", SameSite = SameSiteMode.Strict, HttpOnly = true });
        return Results.Redirect(BasePath(context)[..^"signout/".Length]);
    }

    private static void SecurityHeaders(HttpResponse response)
    {
        response.Headers.ContentSecurityPolicy = ContentSecurityPolicy;
        response.Headers.XContentTypeOptions = "nosniff";
        response.Headers["Referrer-Policy"] = "same-origin";
        response.Headers.XFrameOptions = "DENY";
    }

    private static (byte[] Bytes, string ETag) Load(string name) => Assets.GetOrAdd(name, n =>
    {
        using var stream = Assembly.GetExecutingAssembly().GetManifestResourceStream("Conveyor.Web.Dashboard." + n)
            ?? throw new InvalidOperationException($"Dashboard asset {n} is missing from the assembly.");
        using var memory = new MemoryStream();
        stream.CopyTo(memory);
        var bytes = memory.ToArray();
        return (bytes, "\"" + Convert.ToHexString(SHA256.HashData(bytes))[..16] + "\"");
    });
}
