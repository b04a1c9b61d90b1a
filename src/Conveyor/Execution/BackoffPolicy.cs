namespace Conveyor;

/// <summary>
/// Exponential back-off with a cap and jitter: attempt n waits about Base x Factor^(n-1), at most Max,
/// spread by ±Jitter so that jobs that failed together do not retry together.
/// Default: 1 s, x2, capped at 1 h, ±20 % — ten attempts span about 17 minutes.
/// </summary>
/// <param name="Base">The first delay.</param>
/// <param name="Factor">Each delay is this times the one before.</param>
/// <param name="Max">No delay is longer.</param>
/// <param name="Jitter">Spread, 0 to 1 (0.2: ±20 %).</param>
public sealed record BackoffPolicy(TimeSpan Base, double Factor, TimeSpan Max, double Jitter)
{
    /// <summary>1 s, x2, capped at 1 h, ±20 %.</summary>
    public static BackoffPolicy Default { get; } = new(TimeSpan.FromSeconds(1), 2.0, TimeSpan.FromHours(1), 0.2);

    /// <summary>The delay before the attempt after <paramref name="failedAttempt"/> (1-based).</summary>
    public TimeSpan DelayFor(int failedAttempt, Random random)
    {
        var exponent = Math.Max(0, failedAttempt - 1);
        var seconds = Base.TotalSeconds * Math.Pow(Factor, Math.Min(exponent, 60));
        seconds = Math.Min(seconds, Max.TotalSeconds);
        var spread = 1.0 + Jitter * (2.0 * random.NextDouble() - 1.0);
        seconds = Math.Min(seconds * spread, Max.TotalSeconds);
        return TimeSpan.FromSeconds(Math.Max(0, seconds));
    }

    /// <summary>Throws <see cref="ArgumentOutOfRangeException"/> naming the bad value.</summary>
    public void Validate()
    {
        if (Base < TimeSpan.Zero) throw new ArgumentOutOfRangeException(nameof(Base), "Back-off base must not be negative.");
        if (Factor < 1) throw new ArgumentOutOfRangeException(nameof(Factor), "Back-off factor must be at least 1.");
        if (Max < Base) throw new ArgumentOutOfRangeException(nameof(Max), "Back-off cap must be at least the base.");
        if (Jitter is < 0 or > 1) throw new ArgumentOutOfRangeException(nameof(Jitter), "Back-off jitter must be between 0 and 1.");
    }
}
