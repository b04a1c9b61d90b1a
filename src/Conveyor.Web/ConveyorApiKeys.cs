using System.Security.Cryptography;
using System.Text;

namespace Conveyor.Web;

/// <summary>What an API key may do. <see cref="Admin"/> includes <see cref="Operate"/>, which includes <see cref="Read"/>.</summary>
[Flags]
public enum ApiScope
{
    /// <summary>No access.</summary>
    None = 0,
    /// <summary>GET routes: jobs, queues, workers.</summary>
    Read = 1,
    /// <summary>Enqueue, cancel, retry (and, as they come, pause and bulk actions).</summary>
    Operate = 2,
    /// <summary>Schedules, limits, and everything above.</summary>
    Admin = 4,
    /// <summary>The external-worker routes (a worker holds only this).</summary>
    Worker = 8,
}

/// <summary>
/// The API keys a server accepts, each with its scopes. Written <c>KEY:scope[+scope],KEY2:scope</c>
/// (<c>s3cret:read,0ps:operate,root:admin</c>); a key without scopes is an admin key. Keys are compared in constant
/// time and never logged.
/// </summary>
public sealed class ConveyorApiKeys
{
    private readonly List<(byte[] Key, ApiScope Scopes)> _keys = [];

    /// <summary>True when at least one key is configured (then every /api route needs one).</summary>
    public bool Any => _keys.Count > 0;

    /// <summary>Adds a key with its scopes.</summary>
    public ConveyorApiKeys Add(string key, ApiScope scopes = ApiScope.Admin)
    {
        if (string.IsNullOrWhiteSpace(key))
            throw new ArgumentException("An API key must not be empty.", nameof(key));
        _keys.Add((Encoding.UTF8.GetBytes(key), scopes));
        return this;
    }

    /// <summary>Parses <c>KEY:scope[+scope],...</c>; throws <see cref="ArgumentException"/> naming a bad entry (never the key).</summary>
    public static ConveyorApiKeys Parse(string? text)
    {
        var keys = new ConveyorApiKeys();
        foreach (var (entry, index) in (text ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select((e, i) => (e, i)))
        {
            var colon = entry.LastIndexOf(':');
            var key = colon < 0 ? entry : entry[..colon];
            var scopes = ApiScope.None;
            foreach (var name in colon < 0 ? ["admin"] : entry[(colon + 1)..].Split('+', StringSplitOptions.TrimEntries))
            {
                scopes |= Enum.TryParse<ApiScope>(name, ignoreCase: true, out var scope) && scope != ApiScope.None
                    ? scope
                    : throw new ArgumentException($"API key #{index + 1}: unknown scope '{name}' (use read, operate, admin or worker).");
            }
            keys.Add(key, scopes);
        }
        return keys;
    }

    /// <summary>The scopes of <paramref name="given"/>, or null when it is no configured key.</summary>
    internal ApiScope? ScopesOf(string given)
    {
        var bytes = Encoding.UTF8.GetBytes(given);
        ApiScope? found = null;
        // Every key is compared, in constant time each, so the time taken says nothing about which one matched.
        foreach (var (key, scopes) in _keys)
        {
            if (CryptographicOperations.FixedTimeEquals(bytes, key))
                found = scopes;
        }
        return found;
    }

    /// <summary>Whether <paramref name="held"/> grants <paramref name="needed"/> (admin ⊇ operate ⊇ read).</summary>
    internal static bool Grants(ApiScope held, ApiScope needed) => needed switch
    {
        ApiScope.Read => (held & (ApiScope.Read | ApiScope.Operate | ApiScope.Admin)) != 0,
        ApiScope.Operate => (held & (ApiScope.Operate | ApiScope.Admin)) != 0,
        _ => (held & needed) == needed || (needed != ApiScope.Worker && (held & ApiScope.Admin) != 0),
    };
}
