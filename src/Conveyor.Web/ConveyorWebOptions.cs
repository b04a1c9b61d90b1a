namespace Conveyor.Web;

/// <summary>How <c>MapConveyor</c> and <c>MapConveyorDashboard</c> serve: who may call, how read tokens are signed, what is redacted.</summary>
public sealed class ConveyorWebOptions
{
    /// <summary>
    /// The API keys accepted. With none configured, only callers on this machine (the socket's own remote address is a
    /// loopback address) are served, unless <see cref="AllowRemoteWithoutKey"/> is set.
    /// </summary>
    public ConveyorApiKeys ApiKeys { get; set; } = new();

    /// <summary>
    /// Serve callers from other machines without a key: for an app that protects the routes itself (for example
    /// <c>MapConveyor(...).RequireAuthorization("ops")</c>). Off by default.
    /// </summary>
    public bool AllowRemoteWithoutKey { get; set; }

    /// <summary>
    /// The secret that signs job read tokens and dashboard sessions. Set the same value on every server behind one
    /// load balancer; when unset each process signs with a random key of its own (its tokens end with it).
    /// </summary>
    public string? SigningKey { get; set; }

    /// <summary>How long a job read token (POST /api/jobs/{id}/token) is valid. Default 15 minutes.</summary>
    public TimeSpan TokenLifetime { get; set; } = TimeSpan.FromMinutes(15);

    /// <summary>How long a dashboard sign-in lasts. Default 12 hours.</summary>
    public TimeSpan SessionLifetime { get; set; } = TimeSpan.FromHours(12);

    internal Dictionary<string, List<string[]>> Redactions { get; } = new(StringComparer.Ordinal);

    /// <summary>
    /// Marks args fields of a kind as sensitive: they never leave the server in the API, the events or the dashboard
    /// (their values read <c>"[redacted]"</c>). Paths are dotted: <c>Redact("user.signup", "password", "card.number")</c>.
    /// </summary>
    public ConveyorWebOptions Redact(string kind, params string[] paths)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(kind);
        if (!Redactions.TryGetValue(kind, out var list))
            Redactions[kind] = list = [];
        foreach (var path in paths)
        {
            ArgumentException.ThrowIfNullOrWhiteSpace(path);
            list.Add(path.Split('.'));
        }
        return this;
    }
}
