using Xunit;

namespace Conveyor.Tests;

/// <summary>Rates as people write them, and as they are shown back: what the CLI, the API and the dashboard's form show parses to the same rate.</summary>
public sealed class QueueRateTests
{
    [Theory]
    [InlineData("10/1s", 10, 1_000)]
    [InlineData("10/61s", 10, 61_000)]
    [InlineData("5/1500ms", 5, 1_500)]
    [InlineData("3/90m", 3, 5_400_000)]
    [InlineData("100/1m", 100, 60_000)]
    [InlineData("1/1d", 1, 86_400_000)]
    public void A_rate_is_shown_exactly_as_it_was_written_and_parses_back(string text, int count, long periodMs)
    {
        var rate = QueueRate.Parse(text);
        Assert.Equal(new QueueRate(count, TimeSpan.FromMilliseconds(periodMs)), rate);
        Assert.Equal(text, rate.ToString());
        Assert.Equal(rate, QueueRate.Parse(rate.ToString()));
    }

    [Fact]
    public void A_written_form_with_a_larger_unit_is_shown_in_the_largest_exact_one()
    {
        Assert.Equal("10/90s", QueueRate.Parse("10/1.5m").ToString());
        Assert.Equal("10/2h", QueueRate.Parse("10/120m").ToString());
    }

    [Theory]
    [InlineData("fast")]
    [InlineData("10")]
    [InlineData("/1s")]
    [InlineData("-1/1s")]
    [InlineData("0/1s")]
    [InlineData("10/5ms")]
    [InlineData("10/2d")]
    [InlineData("10/soon")]
    public void Anything_else_is_refused_with_a_reason(string text) =>
        Assert.Contains("rate", Assert.Throws<JobValidationException>(() => QueueRate.Parse(text)).Message);
}
