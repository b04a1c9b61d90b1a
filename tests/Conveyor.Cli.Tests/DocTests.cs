using System.Net.Http.Json;
using System.Text;
using Conveyor.TestSupport;
using Xunit;

namespace Conveyor.Cli.Tests;

/// <summary>
/// The README's and the guides' code blocks, run or compared as their markers say (see <see cref="DocBlocks"/>); SQL and
/// PostgreSQL blocks run in Conveyor.Postgres.Tests.
/// </summary>
public sealed class DocTests
{
    private static readonly string[] Kinds = ["test", "sample", "not tested"];

    public static TheoryData<string> CliBlocks => Ids(b => b.Runner == "cli");

    public static TheoryData<string> PostBlocks => Ids(b => b.Runner == "post");

    public static TheoryData<string> Samples => Ids(b => b.Kind == "sample");

    [Fact]
    public void Every_block_in_the_docs_is_tested_or_says_why_not()
    {
        var blocks = DocBlocks.All();
        Assert.NotEmpty(blocks);
        var unmarked = blocks.Where(b => b.Marker is null || !Kinds.Contains(b.Kind)).Select(b => b.ToString()).ToList();
        Assert.True(unmarked.Count == 0, "Blocks without a test, sample or not-tested marker: " + string.Join(", ", unmarked));
        var vague = blocks.Where(b => b.Kind == "not tested" && b.Argument.Length < 15).Select(b => b.ToString()).ToList();
        Assert.True(vague.Count == 0, "Not-tested markers must say why: " + string.Join(", ", vague));
        Assert.Contains(blocks, b => b.Kind == "test" && b.Argument == "cli");
        string[] runners = ["cli", "post", "sql", "postgres-cli", "shutdown-budget", "prometheus-rules"];
        var unknown = blocks.Where(b => b.Kind == "test" && !runners.Contains(b.Runner)).Select(b => $"{b} ({b.Runner})").ToList();
        Assert.True(unknown.Count == 0, "Test markers no test runs: " + string.Join(", ", unknown));
    }

    public static TheoryData<string> ShutdownBudgets => Ids(b => b.Runner == "shutdown-budget");

    /// <summary>A supervisor's stop timeout in the docs outlasts the worker's shutdown timeout and its 5 s hand-back grace.</summary>
    [Theory]
    [MemberData(nameof(ShutdownBudgets))]
    public async Task A_supervisor_in_the_docs_waits_for_the_hand_back(string id)
    {
        var block = Find(id);
        var shutdown = System.Text.RegularExpressions.Regex.Match(block.Code, @"--shutdown-timeout""?,?\s*""?(\d+)s");
        var grace = System.Text.RegularExpressions.Regex.Match(block.Code, @"(?:TimeoutStopSec=|terminationGracePeriodSeconds:\s*)(\d+)");
        Assert.True(shutdown.Success && grace.Success, $"{block}: names no shutdown timeout or no supervisor limit");
        Assert.True(int.Parse(grace.Groups[1].Value) >= int.Parse(shutdown.Groups[1].Value) + 10,
            $"{block}: the supervisor waits {grace.Groups[1].Value} s, the worker needs {shutdown.Groups[1].Value} s + 5 s grace + margin");
        // The worker's flags in the block are ones the CLI knows (parse errors exit 2 before anything starts).
        var flags = System.Text.RegularExpressions.Regex.Matches(block.Code, @"--[a-z-]+").Select(m => m.Value).Distinct().ToList();
        var (_, help, _) = await ChildProcess.RunCliAsync(["work", "--help"]);
        Assert.All(flags, flag => Assert.Contains(flag, help));
    }

    [Theory]
    [MemberData(nameof(Samples))]
    public void A_sample_is_its_compiled_source_line_for_line(string id)
    {
        var block = Find(id);
        var (path, name) = (block.Argument.Split('#')[0], block.Argument.Split('#')[1]);
        Assert.Equal(DocBlocks.Region(path, name), block.Code);
    }

    [Theory]
    [MemberData(nameof(CliBlocks))]
    public async Task A_shell_block_runs_against_a_real_server(string id)
    {
        await using var server = await DocServer.StartAsync();
        var failure = await DocBlocks.RunShellAsync(Find(id), server.Environment, server.Directory, server.Localize);
        Assert.True(failure is null, failure);
    }

    [Theory]
    [MemberData(nameof(PostBlocks))]
    public async Task A_json_block_is_accepted_by_a_real_server(string id)
    {
        var block = Find(id);
        await using var server = await DocServer.StartAsync();
        var path = block.Argument["post ".Length..].Trim();
        var response = await server.Http.PostAsync(path, new StringContent(block.Code, Encoding.UTF8, "application/json"));
        Assert.True(response.IsSuccessStatusCode, $"{block}: POST {path} answered {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
    }

    private static DocBlocks.Block Find(string id) => DocBlocks.All().Single(b => b.ToString() == id);

    private static TheoryData<string> Ids(Func<DocBlocks.Block, bool> which)
    {
        var data = new TheoryData<string>();
        foreach (var block in DocBlocks.All().Where(which))
            data.Add(block.ToString());
        return data;
    }

    /// <summary>
    /// What a reader of the docs has: a <c>conveyor serve</c> on SQLite (the CLI tests' <see cref="ServeFixture"/>), the
    /// <c>conveyor</c> command on PATH using the same database, and a working directory with the repository's README.md and
    /// CHANGELOG.md to upload. The docs' port 5000 becomes the server's free one.
    /// </summary>
    private sealed class DocServer : IAsyncDisposable
    {
        private readonly ServeFixture _serve = new();

        public string Url => _serve.Url;
        public string Directory => _serve.Directory;
        public HttpClient Http => _serve.Http;
        public Dictionary<string, string> Environment { get; private set; } = [];

        public static async Task<DocServer> StartAsync()
        {
            var server = new DocServer();
            await server._serve.InitializeAsync();
            server.Environment = DocBlocks.PrepareReader(server.Directory, server._serve.Database);
            return server;
        }

        public string Localize(string command) =>
            command.Replace("localhost:5000", Url["http://".Length..]).Replace("127.0.0.1:5000", Url["http://".Length..]);

        public ValueTask DisposeAsync() => new(_serve.DisposeAsync());
    }
}
