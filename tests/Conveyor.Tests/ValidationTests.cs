using Conveyor.Sqlite;
using Xunit;

namespace Conveyor.Tests;

public sealed class ValidationTests
{
    [Theory]
    [InlineData("500ms", 500)]
    [InlineData("10s", 10_000)]
    [InlineData("1.5s", 1_500)]
    [InlineData("5m", 300_000)]
    [InlineData("1h", 3_600_000)]
    [InlineData("2d", 172_800_000)]
    [InlineData("00:00:03", 3_000)]
    public void Durations_parse(string text, double milliseconds) =>
        Assert.Equal(TimeSpan.FromMilliseconds(milliseconds), Durations.Parse(text, "--x"));

    [Theory]
    [InlineData("")]
    [InlineData("10")]
    [InlineData("ten seconds")]
    [InlineData("-5s")]
    [InlineData("5 weeks")]
    public void Bad_durations_name_the_flag(string text)
    {
        var error = Assert.Throws<JobValidationException>(() => Durations.Parse(text, "--lease"));
        Assert.Contains("--lease", error.Message);
    }

    [Theory]
    [InlineData("default")]
    [InlineData("email.send")]
    [InlineData("tenant-1:reports_v2")]
    public void Good_names_pass(string name)
    {
        JobValidation.ValidateKind(name);
        JobValidation.ValidateQueue(name);
    }

    [Theory]
    [InlineData("")]
    [InlineData(" ")]
    [InlineData("has space")]
    [InlineData(".leading-dot")]
    [InlineData("semi;colon")]
    [InlineData("quote'")]
    public void Bad_names_fail(string name)
    {
        Assert.Throws<JobValidationException>(() => JobValidation.ValidateKind(name));
        Assert.Throws<JobValidationException>(() => JobValidation.ValidateQueue(name));
    }

    [Fact]
    public void Args_must_be_json_within_the_size_limit()
    {
        Assert.Equal("{}", JobValidation.ValidateArgs(null, 100));
        Assert.Equal("""{"a":1}""", JobValidation.ValidateArgs(""" { "a" : 1 } """, 100));
        Assert.Contains("not valid JSON", Assert.Throws<JobValidationException>(() => JobValidation.ValidateArgs("{a:1}", 100)).Message);
        Assert.Contains("limit", Assert.Throws<JobTooLargeException>(() => JobValidation.ValidateArgs($"\"{new string('x', 200)}\"", 100)).Message);
    }

    [Fact]
    public void Enqueue_options_are_checked()
    {
        Assert.Throws<JobValidationException>(() => JobValidation.ValidateOptions(new EnqueueOptions { MaxAttempts = 0 }));
        Assert.Throws<JobValidationException>(() => JobValidation.ValidateOptions(new EnqueueOptions { Delay = TimeSpan.FromSeconds(-1) }));
        Assert.Throws<JobValidationException>(() => JobValidation.ValidateOptions(new EnqueueOptions { Delay = TimeSpan.FromSeconds(1), RunAt = DateTimeOffset.UtcNow }));
        Assert.Throws<JobValidationException>(() => JobValidation.ValidateOptions(new EnqueueOptions { Priority = 5000 }));
        Assert.Throws<JobValidationException>(() => JobValidation.ValidateOptions(new EnqueueOptions { Timeout = TimeSpan.Zero }));
        Assert.Throws<JobValidationException>(() => JobValidation.ValidateOptions(new EnqueueOptions { Tags = [""] }));
        JobValidation.ValidateOptions(new EnqueueOptions { Queue = "q", Priority = 10, MaxAttempts = 1, Delay = TimeSpan.Zero, Tags = ["a"] });
    }

    [Fact]
    public void States_round_trip_through_their_names()
    {
        foreach (var state in JobStateNames.All)
            Assert.Equal(state, JobStateNames.Parse(state.ToName()));
        Assert.True(JobStateNames.TryParse("Canceled", out var s) && s == JobState.Cancelled);
        Assert.False(JobStateNames.TryParse("done", out _));
        Assert.True(JobState.Completed.IsTerminal() && !JobState.Running.IsTerminal());
    }

    [Fact]
    public void Sqlite_accepts_a_path_or_a_connection_string()
    {
        Assert.Equal("jobs.db", SqliteStore.ParseConnectionString("jobs.db").DataSource);
        Assert.Equal("x/y.db", SqliteStore.ParseConnectionString("Data Source=x/y.db;Cache=Shared").DataSource);
        Assert.Throws<ArgumentException>(() => SqliteStore.ParseConnectionString(" "));
    }
}
