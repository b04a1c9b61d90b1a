using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace Conveyor.Web;

/// <summary>
/// Dashboard sign-in: a key typed once becomes an HttpOnly, SameSite=Strict cookie holding the key's scopes and an expiry,
/// signed (never the key itself). State-changing requests made with the cookie must also carry the session's
/// anti-forgery token in the X-Conveyor-Csrf header, which the dashboard page reads from its own markup.
/// </summary>
internal sealed class DashboardSessions(Signer signer, TimeProvider time, TimeSpan lifetime)
{
    public const string CookieName = "conveyor_session";
    public const string CsrfHeader = "X-Conveyor-Csrf";

    public (string Cookie, DateTimeOffset ExpiresAt) Create(ApiScope scopes)
    {
        var expires = DateTimeOffset.FromUnixTimeSeconds(time.GetUtcNow().Add(lifetime).ToUnixTimeSeconds());
        var nonce = Guid.NewGuid().ToString("n");
        return (signer.Sign($"session.{(int)scopes}.{expires.ToUnixTimeSeconds()}.{nonce}"), expires);
    }

    /// <summary>The scopes of a valid, unexpired session cookie, or null.</summary>
    public ApiScope? ScopesOf(string? cookie)
    {
        var parts = signer.Verify(cookie)?.Split('.');
        if (parts is not ["session", var scopes, var expiry, _] || !int.TryParse(scopes, CultureInfo.InvariantCulture, out var s)
            || !long.TryParse(expiry, CultureInfo.InvariantCulture, out var until) || time.GetUtcNow().ToUnixTimeSeconds() >= until)
            return null;
        return (ApiScope)s;
    }

    /// <summary>The anti-forgery token bound to one session: a signature of the session's fingerprint.</summary>
    public string CsrfFor(string cookie) => signer.Sign("csrf." + Fingerprint(cookie)).Split('.')[^1];

    public bool CsrfMatches(string cookie, string? token) =>
        !string.IsNullOrEmpty(token) && CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(CsrfFor(cookie)), Encoding.ASCII.GetBytes(token));

    private static string Fingerprint(string cookie) => Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(cookie)))[..32];
}
