namespace Conveyor.Web.Events;

/// <summary>
/// Short-lived read tokens for one job: the user's backend (holding an API key) asks for one and hands it to a browser
/// page, which can then follow that job's events (and read the job) and nothing else: "job.jobId.expiry.signature".
/// </summary>
internal sealed class JobTokens(Signer signer, TimeProvider time)
{
    public (string Token, DateTimeOffset ExpiresAt) Issue(long jobId, TimeSpan lifetime)
    {
        var expires = DateTimeOffset.FromUnixTimeSeconds(time.GetUtcNow().Add(lifetime).ToUnixTimeSeconds());
        return (signer.Sign($"job.{jobId}.{expires.ToUnixTimeSeconds()}"), expires);
    }

    /// <summary>True when <paramref name="token"/> was issued for <paramref name="jobId"/> and has not expired.</summary>
    public bool Allows(string? token, long jobId)
    {
        var parts = signer.Verify(token)?.Split('.');
        return parts is ["job", var id, var expiry]
            && id == jobId.ToString(System.Globalization.CultureInfo.InvariantCulture)
            && long.TryParse(expiry, out var until) && time.GetUtcNow().ToUnixTimeSeconds() < until;
    }
}
