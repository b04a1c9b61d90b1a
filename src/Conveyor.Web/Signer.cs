using System.Security.Cryptography;
using System.Text;

namespace Conveyor.Web;

/// <summary>
/// HMAC-SHA256 signatures for what the server hands out and later takes back (job read tokens, dashboard sessions,
/// anti-forgery tokens): "payload.signature", checked in constant time. Without a configured key each process signs with
/// a random key of its own.
/// </summary>
internal sealed class Signer(byte[] key)
{
    public static Signer Create(string? configuredKey) =>
        new(string.IsNullOrEmpty(configuredKey) ? RandomNumberGenerator.GetBytes(32) : SHA256.HashData(Encoding.UTF8.GetBytes(configuredKey)));

    public string Sign(string payload) => payload + "." + Mac(payload);

    /// <summary>The payload of a value this signer signed, or null.</summary>
    public string? Verify(string? signed)
    {
        var dot = signed?.LastIndexOf('.') ?? -1;
        if (dot <= 0)
            return null;
        var payload = signed![..dot];
        return CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(Mac(payload)), Encoding.ASCII.GetBytes(signed[(dot + 1)..])) ? payload : null;
    }

    private string Mac(string payload) =>
        Convert.ToBase64String(HMACSHA256.HashData(key, Encoding.UTF8.GetBytes(payload))).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}
