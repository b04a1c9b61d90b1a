using System.Text.RegularExpressions;

namespace Conveyor.TestSupport;

/// <summary>
/// The fenced code blocks of README.md and docs/*.md, each with the marker on the line before it that says how it is
/// tested, so that no command or sample in the docs drifts from the code:
/// <list type="bullet">
/// <item><c>&lt;!-- test: cli --&gt;</c> a shell block run line by line against a real <c>conveyor serve</c> (each line must exit
/// 0, or the N its comment names with "exit N");</item>
/// <item><c>&lt;!-- test: post /api/path --&gt;</c> a JSON body posted to a real server, which must accept it;</item>
/// <item><c>&lt;!-- test: sql --&gt;</c> / <c>&lt;!-- test: postgres-cli --&gt;</c> SQL or shell run against a real PostgreSQL
/// (an optional <c>setup="..."</c> runs SQL first);</item>
/// <item><c>&lt;!-- sample: path#name --&gt;</c> the block is, line for line, the region <c>// sample: name</c> ...
/// <c>// end sample</c> (or <c>#</c> comments) of a file that the build compiles and a test runs;</item>
/// <item><c>&lt;!-- not tested: why --&gt;</c> an exemption that says why (a wire-format excerpt, an output example).</item>
/// </list>
/// </summary>
public static partial class DocBlocks
{
    public sealed record Block(string File, int Line, string Language, string? Marker, string Code)
    {
        public string Kind => Marker is null ? "" : Marker.Split(':', 2)[0].Trim();
        public string Argument => Marker is null || !Marker.Contains(':') ? "" : Marker.Split(':', 2)[1].Trim();
        /// <summary>The first word of a test marker: cli, sql, postgres-cli, post.</summary>
        public string Runner => Kind == "test" ? Argument.Split(' ', 2)[0] : "";
        /// <summary>SQL a <c>setup="..."</c> in the marker runs first, or null.</summary>
        public string? Setup => SetupPattern().Match(Argument) is { Success: true } m ? m.Groups[1].Value : null;
        public override string ToString() => $"{File}:{Line}";
    }

    /// <summary>The markdown files whose blocks are held to this: the README and the guides.</summary>
    public static IEnumerable<string> Files() =>
        [Path.Combine(RepoPaths.Root, "README.md"), .. Directory.GetFiles(Path.Combine(RepoPaths.Root, "docs"), "*.md").Order()];

    public static IReadOnlyList<Block> All() => [.. Files().SelectMany(Parse)];

    public static IEnumerable<Block> Parse(string path)
    {
        var lines = File.ReadAllLines(path);
        var relative = Path.GetRelativePath(RepoPaths.Root, path);
        for (var i = 0; i < lines.Length; i++)
        {
            var open = FencePattern().Match(lines[i]);
            if (!open.Success)
                continue;
            var start = i;
            var code = new List<string>();
            for (i++; i < lines.Length && lines[i].Trim() != "```"; i++)
                code.Add(lines[i]);
            var marker = start > 0 && MarkerPattern().Match(lines[start - 1]) is { Success: true } m ? m.Groups[1].Value.Trim() : null;
            yield return new Block(relative, start + 1, open.Groups[1].Value, marker, string.Join('\n', code));
        }
    }

    /// <summary>The region <c>sample: name</c> of a file, dedented, as the docs should show it.</summary>
    public static string Region(string relativePath, string name)
    {
        var lines = File.ReadAllLines(Path.Combine(RepoPaths.Root, relativePath));
        var begin = Array.FindIndex(lines, l => RegionStart().Match(l) is { Success: true } m && m.Groups[1].Value == name);
        if (begin < 0)
            throw new InvalidOperationException($"{relativePath} has no region 'sample: {name}'.");
        var end = Array.FindIndex(lines, begin + 1, l => RegionEnd().IsMatch(l));
        if (end < 0)
            throw new InvalidOperationException($"{relativePath}: region '{name}' has no 'end sample'.");
        var body = lines[(begin + 1)..end];
        var indent = body.Where(l => l.Trim().Length > 0).Select(l => l.Length - l.TrimStart().Length).DefaultIfEmpty(0).Min();
        return string.Join('\n', body.Select(l => l.Length >= indent ? l[indent..] : l.TrimStart()));
    }

    /// <summary>A shell block's logical lines (backslash continuations joined), without blank and comment-only lines.</summary>
    public static IReadOnlyList<string> Commands(string code)
    {
        var commands = new List<string>();
        var current = "";
        foreach (var raw in code.Split('\n'))
        {
            var line = raw.TrimEnd();
            if (current.Length == 0 && (line.Trim().Length == 0 || line.TrimStart().StartsWith('#')))
                continue;
            if (line.EndsWith('\\'))
            {
                current += line[..^1] + " ";
                continue;
            }
            commands.Add(current + line);
            current = "";
        }
        return commands;
    }

    /// <summary>The exit code a command's comment promises ("... exit 1"), else 0.</summary>
    public static int ExpectedExit(string command) =>
        CommentPattern().Match(command) is { Success: true } comment && ExitPattern().Match(comment.Groups[1].Value) is { Success: true } exit
            ? int.Parse(exit.Groups[1].Value)
            : 0;

    /// <summary>
    /// Prepares a reader's directory: the <c>conveyor</c> command on PATH (the built CLI), the repository's README.md and
    /// CHANGELOG.md to upload, and <c>CONVEYOR_DATABASE</c> set to <paramref name="database"/>. Returns the environment.
    /// </summary>
    public static Dictionary<string, string> PrepareReader(string directory, string database)
    {
        var bin = Path.Combine(directory, "bin");
        Directory.CreateDirectory(bin);
        var shim = Path.Combine(bin, "conveyor");
        File.WriteAllText(shim, $"#!/bin/sh\nexec dotnet \"{RepoPaths.CliDll}\" \"$@\"\n");
        if (!OperatingSystem.IsWindows())
            File.SetUnixFileMode(shim, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        foreach (var file in new[] { "README.md", "CHANGELOG.md" })
            File.Copy(Path.Combine(RepoPaths.Root, file), Path.Combine(directory, file), overwrite: true);
        return new Dictionary<string, string>
        {
            ["PATH"] = bin + ":" + Environment.GetEnvironmentVariable("PATH"),
            ["CONVEYOR_DATABASE"] = database,
        };
    }

    /// <summary>
    /// Runs a shell block in one bash, each logical line followed by a check of its exit code against what its comment
    /// promises. Returns null when every line did as the docs say, else what went wrong with the whole output.
    /// </summary>
    public static async Task<string?> RunShellAsync(Block block, IDictionary<string, string> environment, string directory, Func<string, string>? localize = null)
    {
        var commands = Commands(block.Code);
        var script = new System.Text.StringBuilder();
        for (var i = 0; i < commands.Count; i++)
            script.Append(localize is null ? commands[i] : localize(commands[i])).Append('\n').Append($"printf '\\n__rc__ %s {i}\\n' $?\n");
        var (_, output, all) = await ChildProcess.RunAsync("bash", ["-c", script.ToString()], TimeSpan.FromMinutes(3), environment, directory);
        var codes = RcPattern().Matches(output).ToDictionary(m => int.Parse(m.Groups[2].Value), m => int.Parse(m.Groups[1].Value));
        for (var i = 0; i < commands.Count; i++)
        {
            if (!codes.TryGetValue(i, out var code))
                return $"{block}: '{commands[i]}' did not finish:\n{all}";
            if (code != ExpectedExit(commands[i]))
                return $"{block}: '{commands[i]}' exited {code}, expected {ExpectedExit(commands[i])}:\n{all}";
        }
        return all.Contains("command not found", StringComparison.Ordinal) ? $"{block}: a command was not found:\n{all}" : null;
    }

    [GeneratedRegex(@"^__rc__ (\d+) (\d+)$", RegexOptions.Multiline)]
    private static partial Regex RcPattern();

    [GeneratedRegex("setup=\"(.*)\"\\s*$")]
    private static partial Regex SetupPattern();

    [GeneratedRegex(@"^```(\w*)\s*$")]
    private static partial Regex FencePattern();

    [GeneratedRegex(@"^\s*<!--\s*((?:test|sample|not tested)\s*:.*?)\s*-->\s*$")]
    private static partial Regex MarkerPattern();

    [GeneratedRegex(@"^\s*(?://|#|--)\s*sample:\s*(\S+)\s*$")]
    private static partial Regex RegionStart();

    [GeneratedRegex(@"^\s*(?://|#|--)\s*end sample\s*$")]
    private static partial Regex RegionEnd();

    [GeneratedRegex(@"\s#\s(.*)$")]
    private static partial Regex CommentPattern();

    [GeneratedRegex(@"\bexits? (\d)\b")]
    private static partial Regex ExitPattern();
}
