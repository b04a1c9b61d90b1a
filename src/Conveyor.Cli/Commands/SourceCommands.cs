using System.CommandLine;
using Conveyor.Sources;
using Spectre.Console;

namespace Conveyor.Cli.Commands;

/// <summary>conveyor sources list | add | remove | run (table sources, PostgreSQL).</summary>
internal static class SourceCommands
{
    private static readonly Argument<string> Name = new("name") { Description = "The source's name" };
    private static readonly Option<string?> Table = new("--table") { Description = "The table to take rows from: name or schema.name" };
    private static readonly Option<string?> StatusColumn = new("--status-column") { Description = "The column that marks a row as waiting" };
    private static readonly Option<string?> From = new("--from") { Description = "The status of rows to take (e.g. pending_review)" };
    private static readonly Option<string?> To = new("--to") { Description = "The status a taken row gets, in the statement that enqueues its job" };
    private static readonly Option<string?> Kind = new("--kind") { Description = "The kind of job enqueued per row" };
    private static readonly Option<string?> Key = new("--key") { Description = "The column that orders and identifies rows (default id)" };
    private static readonly Option<string?> Columns = new("--columns") { Description = "Comma-separated columns given as the job's args (default: the key)" };
    private static readonly Option<string?> Queue = new("--queue") { Description = "The jobs' queue" };
    private static readonly Option<int?> Priority = new("--priority") { Description = "The jobs' priority" };
    private static readonly Option<int?> MaxAttempts = new("--max-attempts") { Description = "The jobs' attempt budget" };
    private static readonly Option<string?> Every = new("--every") { Description = "How often each process looks: 1s to 1d (default 5s)" };
    private static readonly Option<int?> Batch = new("--batch") { Description = "At most this many rows per statement, 1-10000 (default 100)" };

    public static Command Create(CliSettings settings)
    {
        var command = new Command("sources", "Table sources (PostgreSQL): rows of another system's table moved to a new status and enqueued, in one statement");
        command.Add(Sub("list", "Every source, with what it moved", settings, async (parse, sources, ct) =>
        {
            var list = await sources.ListAsync(ct);
            if (parse.GetValue(CommonOptions.Json))
            {
                JobRendering.WriteJson(list);
                return ExitCodes.Ok;
            }
            var table = CliOutput.NewTable("name", "table", "status", "kind", "every", "last polled (UTC)", "last", "total");
            foreach (var s in list)
            {
                var d = s.Definition;
                table.AddRow(new Text(d.Name), new Text(d.Table), new Text($"{d.StatusColumn}: {d.FromStatus} -> {d.ToStatus}"), new Text(d.Kind),
                    new Text(d.Interval.ToString()), new Text(s.LastPolledAt?.ToString("u") ?? "-"), new Text(s.LastMoved.ToString()), new Text(s.TotalMoved.ToString()));
            }
            AnsiConsole.Write(table);
            return ExitCodes.Ok;
        }, CommonOptions.Json));
        command.Add(Sub("add", "Create or redefine a source (by name); every process picks it up within a second", settings, async (parse, sources, ct) =>
        {
            string Required(Option<string?> option) => parse.GetValue(option) ?? throw new JobValidationException($"{option.Name} is required.");
            var source = new TableSourceDefinition
            {
                Name = parse.GetValue(Name)!,
                Table = Required(Table),
                StatusColumn = Required(StatusColumn),
                FromStatus = Required(From),
                ToStatus = Required(To),
                Kind = Required(Kind),
                KeyColumn = parse.GetValue(Key) ?? "id",
                Columns = parse.GetValue(Columns)?.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries),
                Queue = parse.GetValue(Queue) ?? "default",
                Priority = parse.GetValue(Priority) ?? 0,
                MaxAttempts = parse.GetValue(MaxAttempts),
                Interval = parse.GetValue(Every) is { } every ? Durations.Parse(every, "--every") : TimeSpan.FromSeconds(5),
                BatchSize = parse.GetValue(Batch) ?? 100,
            };
            var saved = await sources.UpsertAsync(source, ct);
            if (parse.GetValue(CommonOptions.Json))
                JobRendering.WriteJson(saved);
            else
                Console.Out.WriteLine($"source {saved.Definition.Name}: {saved.Definition.Table}.{saved.Definition.StatusColumn} '{saved.Definition.FromStatus}' -> '{saved.Definition.ToStatus}' as {saved.Definition.Kind}, every {saved.Definition.Interval}");
            return ExitCodes.Ok;
        }, Name, Table, StatusColumn, From, To, Kind, Key, Columns, Queue, Priority, MaxAttempts, Every, Batch, CommonOptions.Json));
        command.Add(Sub("remove", "Remove a source (its jobs stay)", settings, async (parse, sources, ct) =>
        {
            if (!await sources.DeleteAsync(parse.GetValue(Name)!, ct))
                throw new TableSourceNotFoundException(parse.GetValue(Name)!);
            Console.Out.WriteLine($"source {parse.GetValue(Name)} removed");
            return ExitCodes.Ok;
        }, Name));
        command.Add(Sub("run", "Run a source once now", settings, async (parse, sources, ct) =>
        {
            var moved = await sources.RunAsync(parse.GetValue(Name)!, ct);
            if (parse.GetValue(CommonOptions.Json))
                JobRendering.WriteJson(new { moved });
            else
                Console.Out.WriteLine($"source {parse.GetValue(Name)}: {moved} rows enqueued");
            return ExitCodes.Ok;
        }, Name, CommonOptions.Json));
        return command;
    }

    private static Command Sub(string name, string description, CliSettings settings, Func<ParseResult, ITableSourceClient, CancellationToken, Task<int>> body, params Symbol[] symbols) =>
        CommonOptions.ClientCommand(name, description, settings, body, symbols);
}
