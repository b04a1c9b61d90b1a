using System.CommandLine;
using Conveyor.Storage;
using Conveyor.Web;
using Microsoft.Extensions.DependencyInjection;
using Spectre.Console;

namespace Conveyor.Cli.Commands;

/// <summary>The read and manage commands: status, jobs, cancel, retry, delete, bulk, queues (pause, resume), migrate.</summary>
internal static class JobCommands
{
    private static readonly Argument<long> Id = new("id") { Description = "The job id" };
    private static readonly Option<bool> Follow = new("--follow", "-f") { Description = "Keep watching until the job finishes; exit 0 completed, 1 failed or cancelled" };
    private static readonly Option<bool> Why = new("--why") { Description = "Say why it is not running: dependencies, its run time, a paused queue, a concurrency, key or rate limit, no worker for its queue or kind, or its turn" };
    private static readonly Option<string?> State = new("--state") { Description = "scheduled, queued, running, completed, failed or cancelled" };
    private static readonly Option<string?> Queue = new("--queue") { Description = "Only this queue" };
    private static readonly Option<string?> Kind = new("--kind") { Description = "Only this kind" };
    private static readonly Option<string?> Batch = new("--batch") { Description = "Only this batch" };
    private static readonly Option<int> Limit = new("--limit", "-n") { Description = "At most this many (1-1000)", DefaultValueFactory = _ => 50 };
    private static readonly Option<long?> After = new("--after") { Description = "Page on: jobs with ids below this" };
    private static readonly Option<string?> Tag = new("--tag") { Description = "Only jobs carrying this tag" };
    private static readonly Option<string?> Key = new("--key") { Description = "Only jobs with this concurrency key" };
    private static readonly Option<string?> ConcurrencyLimit = new("--concurrency") { Description = "At most this many of the queue's jobs running at once across all workers (none: no limit)" };
    private static readonly Option<string?> PerKeyLimit = new("--per-key") { Description = "At most this many running at once per concurrency key (none: no limit)" };
    private static readonly Option<string?> RateLimit = new("--rate") { Description = "At most this many starts per period, like 10/1s or 100/1m (none: no limit)" };
    private static readonly Option<bool> ClearLimits = new("--clear") { Description = "Remove every limit (then apply the ones given)" };
    private static readonly Option<string?> From = new("--from") { Description = "Only jobs created at or after this ISO-8601 time" };
    private static readonly Option<string?> To = new("--to") { Description = "Only jobs created before this ISO-8601 time" };
    private static readonly Option<string?> ArgsFilter = new("--args") { Description = "Only jobs whose args contain this JSON object, e.g. '{\"user\":{\"id\":7}}'" };
    private static readonly Argument<string> QueueName = new("queue") { Description = "The queue" };
    private static readonly Argument<string> Action = new("action") { Description = "retry, cancel or delete" };

    /// <summary>The filter options shared by jobs and bulk, read into one query.</summary>
    private static JobQuery ReadFilter(ParseResult parse)
    {
        JobState? state = null;
        if (parse.GetValue(State) is { } stateText)
        {
            state = JobStateNames.TryParse(stateText, out var s) ? s
                : throw new JobValidationException($"--state: unknown state '{stateText}'; use one of {string.Join(", ", JobStateNames.All.Select(x => x.ToName()))}.");
        }
        static DateTimeOffset? Time(string? text, string name) => text is null ? null
            : DateTimeOffset.TryParse(text, System.Globalization.CultureInfo.InvariantCulture, System.Globalization.DateTimeStyles.AssumeUniversal, out var time)
                ? time : throw new JobValidationException($"{name}: '{text}' is not an ISO-8601 time.");
        return new JobQuery
        {
            State = state, Queue = parse.GetValue(Queue), Kind = parse.GetValue(Kind), BatchId = parse.GetValue(Batch), Tag = parse.GetValue(Tag),
            ConcurrencyKey = parse.GetValue(Key),
            CreatedFrom = Time(parse.GetValue(From), "--from"), CreatedTo = Time(parse.GetValue(To), "--to"), ArgsContains = parse.GetValue(ArgsFilter),
        };
    }

    private static Command Client(string name, string description, Func<ParseResult, IJobClient, CancellationToken, Task<int>> body, CliSettings settings, params Symbol[] symbols) =>
        CommonOptions.ClientCommand(name, description, settings, body, symbols);

    public static Command Status(CliSettings settings) => Client("status", "Show one job (--follow to watch it live)", async (parse, client, ct) =>
    {
        var id = parse.GetValue(Id);
        var json = parse.GetValue(CommonOptions.Json);
        if (parse.GetValue(Why))
        {
            if (parse.GetValue(Follow))
                throw new JobValidationException("Give --why or --follow, not both.");
            var why = await client.WhyAsync(id, ct);
            if (json)
                JobRendering.WriteJson(why);
            else
            {
                Console.Out.WriteLine($"job {why.JobId} is {why.State.ToName()}");
                foreach (var reason in why.Reasons)
                    Console.Out.WriteLine($"  {reason.Code}: {reason.Message}");
            }
            return ExitCodes.Ok;
        }
        var job = await client.GetAsync(id, ct) ?? throw new JobNotFoundException(id);
        if (parse.GetValue(Follow) && !job.IsFinished)
            job = await JobRendering.FollowAsync(client, id, json, ct);
        if (json)
            JobRendering.WriteJson(job);
        else
            JobRendering.WriteDetails(job);
        if (!parse.GetValue(Follow))
            return ExitCodes.Ok;
        return job.State == JobState.Completed ? ExitCodes.Ok : ExitCodes.JobNotCompleted;
    }, settings, Id, Follow, Why, CommonOptions.Json);

    public static Command Jobs(CliSettings settings) => Client("jobs", "List jobs, newest first", async (parse, client, ct) =>
    {
        var query = ReadFilter(parse) with { Limit = parse.GetValue(Limit), AfterId = parse.GetValue(After) };
        var jobs = await client.ListAsync(query, ct);
        if (parse.GetValue(CommonOptions.Json))
        {
            JobRendering.WriteJson(new JobPage(jobs, jobs.Count == query.Limit ? jobs[^1].Id : null));
            return ExitCodes.Ok;
        }
        if (jobs.Count == 0)
        {
            Console.Out.WriteLine(query.AfterId is null ? "no jobs" : "no more jobs");
            return ExitCodes.Ok;
        }
        var table = CliOutput.NewTable("id", "state", "kind", "queue", "attempt", "progress", "created", "finished");
        foreach (var job in jobs)
        {
            var progress = job.Progress is { Percent: { } p } ? $"{p}% {job.Progress.Stage}" : "";
            table.AddRow(
                new Text(job.Id.ToString()), new Markup(JobRendering.Markup(job.State)), new Text(job.Kind), new Text(job.Queue),
                new Text($"{job.Attempt}/{job.MaxAttempts}"), new Text(progress), new Text(job.CreatedAt.ToString("MM-dd HH:mm:ss")),
                new Text(job.FinishedAt?.ToString("MM-dd HH:mm:ss") ?? ""));
        }
        AnsiConsole.Write(table);
        if (jobs.Count == query.Limit)
            AnsiConsole.MarkupLine($"[grey]more: --after {jobs[^1].Id}[/]");
        return ExitCodes.Ok;
    }, settings, State, Queue, Kind, Batch, Tag, Key, From, To, ArgsFilter, Limit, After, CommonOptions.Json);

    public static Command Delete(CliSettings settings) => Client("delete", "Delete a job that is not running (cancel a running one first)", async (parse, client, ct) =>
    {
        var id = parse.GetValue(Id);
        switch (await client.DeleteAsync(id, ct))
        {
            case DeleteOutcome.NotFound:
                throw new JobNotFoundException(id);
            case DeleteOutcome.Running:
                throw new JobValidationException($"Job {id} is running; cancel it first (conveyor cancel {id}).");
        }
        if (parse.GetValue(CommonOptions.Json))
            JobRendering.WriteJson(new { id, outcome = DeleteOutcome.Deleted });
        else
            Console.Out.WriteLine($"job {id} deleted");
        return ExitCodes.Ok;
    }, settings, Id, CommonOptions.Json);

    public static Command Bulk(CliSettings settings) => Client("bulk", "Retry, cancel or delete every job the filter selects, in batches", async (parse, client, ct) =>
    {
        var action = parse.GetValue(Action) switch
        {
            "retry" => JobBulkAction.Retry,
            "cancel" => JobBulkAction.Cancel,
            "delete" => JobBulkAction.Delete,
            var other => throw new JobValidationException($"Unknown action '{other}'; use retry, cancel or delete."),
        };
        var json = parse.GetValue(CommonOptions.Json);
        var result = await client.ApplyToAllAsync(action, ReadFilter(parse), p =>
        {
            if (!json)
                Console.Error.Write($"\r{p.Processed:N0} of {p.Total:N0} processed, {p.Changed:N0} changed");
        }, ct);
        if (json)
            JobRendering.WriteJson(new { action, result.Total, result.Processed, result.Changed });
        else
            Console.Error.WriteLine();
        return ExitCodes.Ok;
    }, settings, Action, State, Queue, Kind, Batch, Tag, Key, From, To, ArgsFilter, CommonOptions.Json);

    public static Command Cancel(CliSettings settings) => Client("cancel", "Cancel a job: at once if waiting, by signalling its handler if running", async (parse, client, ct) =>
    {
        var id = parse.GetValue(Id);
        var result = await client.CancelAsync(id, ct);
        if (result.Outcome == CancelOutcome.NotFound)
            throw new JobNotFoundException(id);
        if (parse.GetValue(CommonOptions.Json))
            JobRendering.WriteJson(new { id, outcome = result.Outcome, state = result.State });
        else
            Console.Out.WriteLine(result.Outcome switch
            {
                CancelOutcome.Cancelled => $"job {id} cancelled",
                CancelOutcome.CancelRequested => $"job {id} is running; its handler is asked to stop",
                _ => $"job {id} had already finished ({result.State?.ToName()}); nothing changed",
            });
        return ExitCodes.Ok;
    }, settings, Id, CommonOptions.Json);

    public static Command Retry(CliSettings settings) => Client("retry", "Run a failed or cancelled job again", async (parse, client, ct) =>
    {
        var id = parse.GetValue(Id);
        var result = await client.RetryAsync(id, ct);
        switch (result.Outcome)
        {
            case RetryOutcome.NotFound:
                throw new JobNotFoundException(id);
            case RetryOutcome.NotRetryable:
                throw new JobValidationException($"Job {id} is {result.State?.ToName()}; only failed and cancelled jobs can be retried.");
        }
        if (parse.GetValue(CommonOptions.Json))
            JobRendering.WriteJson(new { id, outcome = result.Outcome, state = result.State });
        else
            Console.Out.WriteLine($"job {id} queued again");
        return ExitCodes.Ok;
    }, settings, Id, CommonOptions.Json);

    public static Command Queues(CliSettings settings) => Client("queues", "Counts by state per queue, and the oldest waiting job's age", async (parse, client, ct) =>
    {
        var queues = await client.QueuesAsync(ct);
        if (parse.GetValue(CommonOptions.Json))
        {
            JobRendering.WriteJson(queues.Select(QueueView.From).ToList());
            return ExitCodes.Ok;
        }
        var table = CliOutput.NewTable("queue");
        foreach (var state in JobStateNames.All)
            table.AddColumn(new TableColumn(state.ToName()).RightAligned());
        table.AddColumn("oldest waiting");
        table.AddColumn("limits");
        foreach (var queue in queues)
        {
            var row = new List<string> { queue.Queue + (queue.Paused ? " (paused)" : "") };
            row.AddRange(JobStateNames.All.Select(s => queue.Count(s).ToString()));
            row.Add(queue.OldestWaitingAge is { } age ? Durations.Format(age) : "-");
            row.Add(!queue.Limits.Any ? "-" : queue.Limits + (queue.RateLimitedUntil is { } until ? $" (rate window full until {until:HH:mm:ss.fff})" : ""));
            table.AddRow(row.Select(r => new Text(r)));
        }
        AnsiConsole.Write(table);
        return ExitCodes.Ok;
    }, settings, CommonOptions.Json, PauseCommand(settings, true), PauseCommand(settings, false), LimitCommand(settings));

    /// <summary>Sets a queue's limits; options not given keep their value, "none" removes one, --clear removes all first.</summary>
    private static Command LimitCommand(CliSettings settings) => Client("limit",
        "Limit a queue across all workers: --concurrency 4 --per-key 2 --rate 10/1s (options not given keep their value; none removes one)", async (parse, client, ct) =>
    {
        var queue = parse.GetValue(QueueName)!;
        var current = parse.GetValue(ClearLimits) ? new QueueLimits()
            : (await client.QueuesAsync(ct)).FirstOrDefault(q => q.Queue == queue)?.Limits ?? new QueueLimits();
        static int? Count(string text, string name) => int.TryParse(text, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var n)
            ? n : throw new JobValidationException($"{name}: '{text}' is not a whole number (or none).");
        var limits = current with
        {
            Concurrency = parse.GetValue(ConcurrencyLimit) is { } c ? (c == "none" ? null : Count(c, "--concurrency")) : current.Concurrency,
            PerKey = parse.GetValue(PerKeyLimit) is { } k ? (k == "none" ? null : Count(k, "--per-key")) : current.PerKey,
            Rate = parse.GetValue(RateLimit) is { } r ? (r == "none" ? null : QueueRate.Parse(r)) : current.Rate,
        };
        var previous = await client.SetQueueLimitsAsync(queue, limits, ct);
        if (parse.GetValue(CommonOptions.Json))
            JobRendering.WriteJson(new { queue, limits = Web.LimitsView.From(limits), previous = Web.LimitsView.From(previous) });
        else
            Console.Out.WriteLine($"queue {queue} limits: {limits} (were: {previous})");
        return ExitCodes.Ok;
    }, settings, QueueName, ConcurrencyLimit, PerKeyLimit, RateLimit, ClearLimits, CommonOptions.Json);

    private static Command PauseCommand(CliSettings settings, bool pause) => Client(pause ? "pause" : "resume",
        pause ? "Stop handing out a queue's jobs (they stay; new ones are accepted)" : "Hand out a paused queue's jobs again", async (parse, client, ct) =>
    {
        var queue = parse.GetValue(QueueName)!;
        var changed = pause ? await client.PauseQueueAsync(queue, ct) : await client.ResumeQueueAsync(queue, ct);
        if (parse.GetValue(CommonOptions.Json))
            JobRendering.WriteJson(new { queue, paused = pause, changed });
        else
            Console.Out.WriteLine($"queue {queue} {(pause ? "paused" : "resumed")}{(changed ? "" : " (it already was)")}");
        return ExitCodes.Ok;
    }, settings, QueueName, CommonOptions.Json);

    public static Command Migrate(CliSettings settings)
    {
        var command = new Command("migrate", "Create or upgrade the schema, then exit");
        command.SetAction((parse, ct) => CliApp.Guard(async () =>
        {
            await using var services = CommonOptions.BuildClient(parse, settings, createsDatabase: true);
            await services.GetRequiredService<IStoreMigrator>().MigrateAsync(ct);
            Console.Out.WriteLine($"schema up to date: {services.GetRequiredService<IConveyorStore>().Description}");
            return ExitCodes.Ok;
        }));
        return command;
    }
}
