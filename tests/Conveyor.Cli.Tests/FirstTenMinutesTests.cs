using Conveyor.TestSupport;
using Xunit;

namespace Conveyor.Cli.Tests;

/// <summary>What a new user meets first: paths, piped output, help and parse errors.</summary>
public sealed class FirstTenMinutesTests
{
    [Theory]
    [InlineData("jobs")]
    [InlineData("queues")]
    [InlineData("status", "1")]
    [InlineData("drain")]
    public async Task A_read_command_given_a_missing_SQLite_path_exits_3_naming_it_and_creates_nothing(params string[] command)
    {
        using var dir = new TempDirectory();
        var path = Path.Combine(dir.Path, "typo", "conveyr.db");
        var (code, stdout, all) = await ChildProcess.RunCliAsync([.. command, "--database", path]);
        Assert.Equal(3, code);
        Assert.Equal("", stdout);
        Assert.Contains($"no SQLite database at {path}", all);
        Assert.False(Directory.Exists(Path.Combine(dir.Path, "typo")));
    }

    [Fact]
    public async Task Enqueue_creates_the_database_and_a_read_of_an_empty_one_says_no_jobs()
    {
        using var dir = new TempDirectory();
        var empty = dir.File("empty.db");
        Assert.Equal(0, (await ChildProcess.RunCliAsync(["migrate", "--database", empty])).ExitCode);
        var (code, stdout, _) = await ChildProcess.RunCliAsync(["jobs", "--database", empty]);
        Assert.Equal(0, code);
        Assert.Equal("no jobs", stdout.Trim());

        var created = Path.Combine(dir.Path, "new", "jobs.db");
        Assert.Equal(0, (await ChildProcess.RunCliAsync(["enqueue", "demo.noop", "--database", created])).ExitCode);
        Assert.True(File.Exists(created));
    }

    [Fact]
    public async Task Piped_tables_are_plain_text_one_line_a_row()
    {
        using var dir = new TempDirectory();
        var database = dir.File("jobs.db");
        const string longKind = "reports.quarterly.revenue.by-region.with-a-name-long-enough-to-wrap-any-terminal-column";
        Assert.Equal(0, (await ChildProcess.RunCliAsync(["enqueue", longKind, "--database", database, "--queue", "reporting"])).ExitCode);

        foreach (var command in new[] { new[] { "jobs" }, ["queues"], ["status", "1"] })
        {
            var (code, stdout, _) = await ChildProcess.RunCliAsync([.. command, "--database", database]);
            Assert.Equal(0, code);
            Assert.DoesNotContain('\u001b', stdout);
            Assert.DoesNotContain('│', stdout);
            Assert.DoesNotContain('─', stdout);
            Assert.All(stdout.Split('\n'), line => Assert.False(line.EndsWith(' '), $"trailing spaces in '{line}'"));
            if (command[0] != "queues")
                Assert.Contains(longKind, stdout);
        }
        var rows = (await ChildProcess.RunCliAsync(["jobs", "--database", database])).Stdout.Trim().Split('\n');
        Assert.Equal(2, rows.Length);
        Assert.Matches($@"^1\s+queued\s+{System.Text.RegularExpressions.Regex.Escape(longKind)}\s+reporting\s+0/10", rows[1]);
    }

    [Fact]
    public async Task Help_gives_examples_built_in_kinds_exit_codes_and_each_settings_variable()
    {
        var (code, help, _) = await ChildProcess.RunCliAsync(["--help"]);
        Assert.Equal(0, code);
        foreach (var text in new[] { "Examples:", "conveyor enqueue demo.sleep", "Built-in kinds", "demo.fail", "demo.noop", "demo.collect", "Exit codes:", "3  the store is unreachable" })
            Assert.Contains(text, help);

        var (_, serve, _) = await ChildProcess.RunCliAsync(["serve", "--help"]);
        foreach (var (flag, variable) in new[] { ("--concurrency", "CONVEYOR_CONCURRENCY"), ("--urls", "CONVEYOR_URLS"), ("--redact", "CONVEYOR_REDACT"), ("--no-migrate", "CONVEYOR_NO_MIGRATE"), ("--handlers", "CONVEYOR_HANDLERS"), ("--api-keys", "CONVEYOR_API_KEYS") })
            Assert.Contains(variable, serve.Split('\n').Single(l => l.TrimStart().StartsWith(flag + " ", StringComparison.Ordinal) || l.Contains($", {flag} ", StringComparison.Ordinal)));

        var (noCommand, bare, _) = await ChildProcess.RunCliAsync([]);
        Assert.Equal(2, noCommand);
        Assert.Contains("Exit codes:", bare);
    }

    [Fact]
    public async Task Parse_errors_are_one_message_each_in_words()
    {
        var (code, _, all) = await ChildProcess.RunCliAsync(["jobs", "--limit", "abc"]);
        Assert.Equal(2, code);
        Assert.Contains("'--limit' as a whole number", all);
        Assert.DoesNotContain("System.", all);

        var (unknown, _, said) = await ChildProcess.RunCliAsync(["frobnicate", "now"]);
        Assert.Equal(2, unknown);
        var errors = said.Split('\n').Where(l => l.StartsWith("error:", StringComparison.Ordinal)).ToList();
        Assert.Equal(["error: unknown command or argument 'frobnicate', 'now'"], errors);
    }

    [Fact]
    public async Task Weighted_queues_run_jobs_from_a_real_store_and_a_bad_weight_is_refused_at_start()
    {
        using var dir = new TempDirectory();
        var database = dir.File("weights.db");
        foreach (var queue in new[] { "critical", "default", "low", "low" })
            Assert.Equal(0, (await ChildProcess.RunCliAsync(["enqueue", "demo.noop", "--queue", queue, "--database", database])).ExitCode);
        var (code, stdout, all) = await ChildProcess.RunCliAsync(["drain", "--queues", "critical,default:3,low:1", "--database", database]);
        Assert.True(code == 0, all);
        Assert.Contains("4 completed", stdout);

        var (bad, _, said) = await ChildProcess.RunCliAsync(["drain", "--queues", "critical,default:0", "--database", database]);
        Assert.Equal(2, bad);
        Assert.Contains("a weight is a whole number from 1 to 1000", said);
    }
}
