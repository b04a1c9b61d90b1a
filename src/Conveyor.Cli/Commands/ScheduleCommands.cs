using System.CommandLine;
using Conveyor.Scheduling;
using Microsoft.Extensions.DependencyInjection;
using Spectre.Console;

namespace Conveyor.Cli.Commands;

/// <summary>conveyor schedules list | add | remove | pause | resume | trigger | history | preview.</summary>
internal static class ScheduleCommands
{
    private static readonly Argument<string> Name = new("name") { Description = "The schedule's name" };
    private static readonly Argument<string?> OptionalName = new("name") { Description = "A schedule's name (or give --cron)", Arity = ArgumentArity.ZeroOrOne };
    private static readonly Option<string?> Cron = new("--cron") { Description = "Cron expression (5 fields, 6 with seconds, @daily...) or @every 90s" };
    private static readonly Option<string?> Kind = new("--kind") { Description = "The kind of job each tick enqueues" };
    private static readonly Option<string?> Tz = new("--tz") { Description = "IANA time zone the cron is read in (default UTC)" };
    private static readonly Option<string?> Args = new("--args") { Description = "The job's args as JSON" };
    private static readonly Option<string?> Queue = new("--queue") { Description = "The job's queue" };
    private static readonly Option<int?> Priority = new("--priority") { Description = "The job's priority" };
    private static readonly Option<int?> MaxAttempts = new("--max-attempts") { Description = "The job's attempt budget" };
    private static readonly Option<string?> Missed = new("--missed") { Description = "Ticks missed during downtime: once (default), all (at most 100) or skip" };
    private static readonly Option<string?> OverlapOption = new("--overlap") { Description = "While the previous tick's job is unfinished: allow (default) or skip" };
    private static readonly Option<string?> Jitter = new("--jitter") { Description = "Start each job up to this much later, at random (e.g. 30s)" };
    private static readonly Option<bool> Disabled = new("--disabled") { Description = "Define it without ticking" };
    private static readonly Option<int> Count = new("--count") { Description = "How many ticks (1-100)", DefaultValueFactory = _ => 10 };
    private static readonly Option<int> Limit = new("--limit", "-n") { Description = "How many ledger rows (1-1000)", DefaultValueFactory = _ => 20 };

    public static Command Create(CliSettings settings)
    {
        var command = new Command("schedules", "Cron schedules: list, add, remove, pause, resume, trigger, history, preview");
        command.Add(Sub("list", "Every schedule with its next and last tick", settings, async (parse, schedules, ct) =>
        {
            var list = await schedules.ListAsync(ct);
            if (parse.GetValue(CommonOptions.Json))
            {
                JobRendering.WriteJson(list);
                return ExitCodes.Ok;
            }
            var table = CliOutput.NewTable("name", "cron", "zone", "kind", "queue", "next (UTC)", "last (UTC)", "state");
            foreach (var s in list)
            {
                table.AddRow(new Text(s.Definition.Name), new Text(s.Definition.Cron), new Text(s.Definition.TimeZone), new Text(s.Definition.Kind),
                    new Text(s.Definition.Queue ?? ""), new Text(s.NextRunAt?.ToString("u") ?? "-"), new Text(s.LastRunAt?.ToString("u") ?? "-"),
                    new Text(!s.Definition.Enabled ? "disabled" : s.PausedAt is not null ? "paused" : "active"));
            }
            AnsiConsole.Write(table);
            return ExitCodes.Ok;
        }, CommonOptions.Json));
        command.Add(Sub("add", "Create or redefine a schedule (by name)", settings, async (parse, schedules, ct) =>
        {
            var definition = new ScheduleDefinition
            {
                Name = parse.GetValue(Name)!,
                Cron = parse.GetValue(Cron) ?? throw new JobValidationException("--cron is required (e.g. --cron \"0 3 * * *\")."),
                Kind = parse.GetValue(Kind) ?? throw new JobValidationException("--kind is required."),
                TimeZone = parse.GetValue(Tz) ?? "UTC",
                Args = parse.GetValue(Args) ?? "{}",
                Queue = parse.GetValue(Queue),
                Priority = parse.GetValue(Priority) ?? 0,
                MaxAttempts = parse.GetValue(MaxAttempts),
                Enabled = !parse.GetValue(Disabled),
                Missed = ParseEnum(parse.GetValue(Missed), MissedTicks.Once, "--missed"),
                Overlap = ParseEnum(parse.GetValue(OverlapOption), Overlap.Allow, "--overlap"),
                Jitter = parse.GetValue(Jitter) is { } jitter ? Durations.Parse(jitter, "--jitter") : null,
            };
            var saved = await schedules.UpsertAsync(definition, ct);
            if (parse.GetValue(CommonOptions.Json))
                JobRendering.WriteJson(saved);
            else
                Console.Out.WriteLine($"schedule {saved.Definition.Name}: {saved.Definition.Cron} ({saved.Definition.TimeZone}), next tick {saved.NextRunAt:u}");
            return ExitCodes.Ok;
        }, Name, Cron, Kind, Tz, Args, Queue, Priority, MaxAttempts, Missed, OverlapOption, Jitter, Disabled, CommonOptions.Json));
        command.Add(Sub("remove", "Remove a schedule and its ledger", settings, async (parse, schedules, ct) =>
            await schedules.DeleteAsync(parse.GetValue(Name)!, ct) ? Done($"schedule {parse.GetValue(Name)} removed") : throw new ScheduleNotFoundException(parse.GetValue(Name)!), Name));
        command.Add(Sub("pause", "Pause a schedule (its ticks are recorded as paused)", settings, async (parse, schedules, ct) =>
            await schedules.PauseAsync(parse.GetValue(Name)!, ct) ? Done($"schedule {parse.GetValue(Name)} paused") : throw new ScheduleNotFoundException(parse.GetValue(Name)!), Name));
        command.Add(Sub("resume", "Resume a paused schedule", settings, async (parse, schedules, ct) =>
            await schedules.ResumeAsync(parse.GetValue(Name)!, ct) ? Done($"schedule {parse.GetValue(Name)} resumed") : throw new ScheduleNotFoundException(parse.GetValue(Name)!), Name));
        command.Add(Sub("trigger", "Run a schedule's job now", settings, async (parse, schedules, ct) =>
        {
            var id = await schedules.TriggerAsync(parse.GetValue(Name)!, ct);
            if (parse.GetValue(CommonOptions.Json))
                JobRendering.WriteJson(new { id });
            else
                Console.Out.WriteLine($"enqueued job {id}");
            return ExitCodes.Ok;
        }, Name, CommonOptions.Json));
        command.Add(Sub("history", "A schedule's latest ticks and what became of each", settings, async (parse, schedules, ct) =>
        {
            var runs = await schedules.HistoryAsync(parse.GetValue(Name)!, parse.GetValue(Limit), ct);
            if (parse.GetValue(CommonOptions.Json))
            {
                JobRendering.WriteJson(runs);
                return ExitCodes.Ok;
            }
            var table = CliOutput.NewTable("tick (UTC)", "fate", "job", "recorded");
            foreach (var r in runs)
                table.AddRow(new Text(r.ScheduledFor.ToString("u")), new Text(r.Fate.ToString().ToLowerInvariant()), new Text(r.JobId?.ToString() ?? ""), new Text(r.RecordedAt.ToString("u")));
            AnsiConsole.Write(table);
            return ExitCodes.Ok;
        }, Name, Limit, CommonOptions.Json));
        command.Add(Preview(settings));
        return command;
    }

    /// <summary>The next ticks of a stored schedule or of --cron/--tz, local and UTC, daylight-saving changes marked; needs no store for --cron.</summary>
    private static Command Preview(CliSettings settings)
    {
        var command = new Command("preview", "The next ticks of a schedule (or of --cron [--tz]), daylight-saving changes marked");
        foreach (var symbol in new Symbol[] { OptionalName, Cron, Tz, Count, CommonOptions.Json })
        {
            if (symbol is Argument a) command.Add(a); else command.Add((Option)symbol);
        }
        command.SetAction((parse, ct) => CliApp.Guard(async () =>
        {
            ScheduleTimes times;
            if (parse.GetValue(Cron) is { } cron)
                times = ScheduleTimes.Parse(cron, parse.GetValue(Tz));
            else if (parse.GetValue(OptionalName) is { } name)
            {
                await using var services = CommonOptions.BuildClient(parse, settings);
                var schedule = await services.GetRequiredService<IScheduleClient>().GetAsync(name, ct) ?? throw new ScheduleNotFoundException(name);
                times = ScheduleTimes.Parse(schedule.Definition.Cron, schedule.Definition.TimeZone);
            }
            else
                throw new JobValidationException("Give a schedule's name or --cron EXPR.");
            var count = parse.GetValue(Count);
            if (count is < 1 or > 100)
                throw new JobValidationException($"--count must be between 1 and 100 (got {count}).");
            var ticks = times.Preview(DateTimeOffset.UtcNow, count);
            if (parse.GetValue(CommonOptions.Json))
            {
                JobRendering.WriteJson(ticks.Select(t => new { utc = t.Utc, local = t.Local, offsetChanged = t.OffsetChanged }));
                return ExitCodes.Ok;
            }
            foreach (var (utc, local, changed) in ticks)
                Console.Out.WriteLine($"{local:yyyy-MM-dd HH:mm:ss zzz}  ({utc:yyyy-MM-dd HH:mm:ss}Z){(changed ? "  <- UTC offset changes (daylight saving)" : "")}");
            return ExitCodes.Ok;
        }));
        return command;
    }

    private static int Done(string message)
    {
        Console.Out.WriteLine(message);
        return ExitCodes.Ok;
    }

    private static T ParseEnum<T>(string? text, T fallback, string flag) where T : struct, Enum =>
        text is null ? fallback
        : Enum.TryParse<T>(text, ignoreCase: true, out var value) && Enum.IsDefined(value) ? value
        : throw new JobValidationException($"{flag}: '{text}' is not one of {string.Join(", ", Enum.GetNames<T>().Select(n => n.ToLowerInvariant()))}.");

    private static Command Sub(string name, string description, CliSettings settings, Func<ParseResult, IScheduleClient, CancellationToken, Task<int>> body, params Symbol[] symbols) =>
        CommonOptions.ClientCommand(name, description, settings, body, symbols);
}
