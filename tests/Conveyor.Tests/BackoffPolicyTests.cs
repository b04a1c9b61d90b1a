using Xunit;

namespace Conveyor.Tests;

public sealed class BackoffPolicyTests
{
    [Fact]
    public void Default_grows_exponentially_within_the_jitter_band()
    {
        var policy = BackoffPolicy.Default;
        var random = new Random(42);
        for (var attempt = 1; attempt <= 10; attempt++)
        {
            var nominal = Math.Min(Math.Pow(2, attempt - 1), 3600);
            for (var i = 0; i < 200; i++)
            {
                var delay = policy.DelayFor(attempt, random).TotalSeconds;
                Assert.InRange(delay, nominal * 0.8 - 1e-9, Math.Min(nominal * 1.2, 3600) + 1e-9);
            }
        }
    }

    [Fact]
    public void Delay_is_capped_even_for_huge_attempt_numbers()
    {
        var policy = new BackoffPolicy(TimeSpan.FromSeconds(1), 2, TimeSpan.FromMinutes(5), 0.5);
        var random = new Random(1);
        for (var attempt = 1; attempt < 10_000; attempt += 97)
            Assert.True(policy.DelayFor(attempt, random) <= TimeSpan.FromMinutes(5));
    }

    [Fact]
    public void Jitter_spreads_retries_that_failed_together()
    {
        var policy = BackoffPolicy.Default;
        var random = new Random(7);
        var delays = Enumerable.Range(0, 100).Select(_ => policy.DelayFor(5, random)).Distinct().Count();
        Assert.True(delays > 50);
    }

    [Fact]
    public void Zero_jitter_is_exact()
    {
        var policy = new BackoffPolicy(TimeSpan.FromMilliseconds(100), 3, TimeSpan.FromHours(1), 0);
        Assert.Equal(TimeSpan.FromMilliseconds(100), policy.DelayFor(1, Random.Shared));
        Assert.Equal(TimeSpan.FromMilliseconds(900), policy.DelayFor(3, Random.Shared));
    }

    [Theory]
    [InlineData(-1, 2, 10, 0.1)]
    [InlineData(1, 0.5, 10, 0.1)]
    [InlineData(10, 2, 1, 0.1)]
    [InlineData(1, 2, 10, 1.5)]
    public void Invalid_policies_are_rejected(double baseSeconds, double factor, double maxSeconds, double jitter)
    {
        var policy = new BackoffPolicy(TimeSpan.FromSeconds(baseSeconds), factor, TimeSpan.FromSeconds(maxSeconds), jitter);
        Assert.Throws<ArgumentOutOfRangeException>(policy.Validate);
    }
}
