using System.CommandLine;
using System.Text.RegularExpressions;

namespace Conveyor.Cli;

/// <summary>What --help adds to System.CommandLine's own text, and how parse errors are put to a person.</summary>
internal static partial class CliHelp
{
    public const string Epilogue = """

        Examples:
          conveyor serve                                        dashboard and API on http://127.0.0.1:5000, SQLite ./conveyor.db
          conveyor enqueue demo.sleep --args '{"seconds":5}' --wait   live progress, exit 0 when completed
          conveyor jobs --state failed                          recent failed jobs (every read command takes --json)
          conveyor status 42 --follow                           one job, live
          conveyor work -d postgres://user:pw@db/app --concurrency 32   a worker on a shared PostgreSQL
          conveyor drain --max 100                              run what is ready now, then exit

        Built-in kinds (every conveyor process runs them):
          demo.sleep    {"seconds":1,"steps":10}  sleeps, reporting progress after each step
          demo.fail     {"message":"..."}         always fails: watch retries with back-off
          demo.noop     {}                        does nothing (benchmarks)
          demo.collect  {}                        returns the results of the jobs it depended on

        Exit codes:
          0  done (with --wait/--follow/drain: the job or jobs completed)
          1  with --wait/--follow/drain: a job ended failed or cancelled
          2  bad usage or input; nothing was changed
          3  the store is unreachable, or no SQLite database at the given path

        Settings: a flag, else its environment variable (named in each flag's help), else appsettings.json's "Conveyor"
        section in the working directory, else the default.
        """;

    /// <summary>Appends "(env CONVEYOR_X)" to the help of every flag that the environment can set, where it is not said yet.</summary>
    public static void NameEnvironmentVariables(Command command)
    {
        foreach (var option in command.Options)
        {
            var setting = option.Name.TrimStart('-');
            if (!CliSettings.EnvironmentSettings.Contains(setting))
                continue;
            var variable = CliSettings.EnvironmentVariable(setting);
            if (option.Description?.Contains(variable, StringComparison.Ordinal) != true)
                option.Description = $"{option.Description} (env {variable})";
        }
        foreach (var subcommand in command.Subcommands)
            NameEnvironmentVariables(subcommand);
    }

    /// <summary>
    /// One message per problem, in words: unknown commands and arguments are named together in one line (not once each
    /// plus "Required command was not provided"), and a value that does not parse says what it should be, not which CLR
    /// type it failed to become.
    /// </summary>
    public static IReadOnlyList<string> Explain(IEnumerable<string> errors)
    {
        var all = errors.ToList();
        var unknown = all.Select(e => UnrecognizedPattern().Match(e)).Where(m => m.Success).Select(m => $"'{m.Groups[1].Value}'").ToList();
        var lines = new List<string>();
        if (unknown.Count > 0)
            lines.Add($"unknown command or argument {string.Join(", ", unknown)}");
        foreach (var error in all)
        {
            if (UnrecognizedPattern().IsMatch(error) || (unknown.Count > 0 && error.StartsWith("Required command was not provided", StringComparison.Ordinal)))
                continue;
            var explained = TypePattern().Replace(error, m => "as " + Describe(m.Groups[1].Value));
            if (!lines.Contains(explained))
                lines.Add(explained);
        }
        return lines;
    }

    private static string Describe(string clrType)
    {
        var type = NullablePattern().Match(clrType) is { Success: true } nullable ? nullable.Groups[1].Value : clrType;
        return type switch
        {
            "System.Int32" or "System.Int64" or "System.Int16" => "a whole number",
            "System.Double" or "System.Single" or "System.Decimal" => "a number",
            "System.Boolean" => "true or false",
            "System.TimeSpan" => "a duration (30s, 5m, 1h)",
            "System.DateTimeOffset" or "System.DateTime" => "a date and time (2026-01-31T09:00:00Z)",
            _ => "a valid value",
        };
    }

    [GeneratedRegex(@"^Unrecognized command or argument '(.*)'\.?$")]
    private static partial Regex UnrecognizedPattern();

    [GeneratedRegex(@"as expected type '([^']+)'")]
    private static partial Regex TypePattern();

    [GeneratedRegex(@"^System\.Nullable`1\[(.+)\]$")]
    private static partial Regex NullablePattern();
}
