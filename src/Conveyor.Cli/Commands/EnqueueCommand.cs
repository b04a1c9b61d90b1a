using System.CommandLine;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;

namespace Conveyor.Cli.Commands;

/// <summary><c>conveyor enqueue KIND --args JSON [--wait]</c>, or many jobs from a JSON-lines file.</summary>
internal static class EnqueueCommand
{
    private static readonly Argument<string?> Kind = new("kind") { Description = "The job kind, e.g. demo.sleep", Arity = ArgumentArity.ZeroOrOne };
    private static readonly Option<string?> Args = new("--args", "-a") { Description = "Args as JSON (default {})" };
    private static readonly Option<string?> Queue = new("--queue") { Description = "Queue (default: default)" };
    private static readonly Option<int?> Priority = new("--priority") { Description = "Higher runs first (-1000..1000, default 0)" };
    private static readonly Option<int?> MaxAttempts = new("--max-attempts") { Description = "Attempts before the job fails (default 10)" };
    private static readonly Option<string?> Delay = new("--delay") { Description = "Run no earlier than this from now: 500ms, 10s, 5m, 1h" };
    private static readonly Option<string?> RunAt = new("--run-at") { Description = "Run no earlier than this ISO-8601 time" };
    private static readonly Option<string?> Timeout = new("--timeout") { Description = "Per-attempt timeout: 30s, 5m" };
    private static readonly Option<string?> UniqueKey = new("--unique-key") { Description = "Return the live job holding this key instead of adding one" };
    private static readonly Option<string?> ConcurrencyKey = new("--concurrency-key") { Description = "Groups jobs for the queue's per-key limit (conveyor queues limit Q --per-key 2), e.g. a customer id" };
    private static readonly Option<string?> Tags = new("--tags") { Description = "Comma-separated tags" };
    private static readonly Option<string?> FromFile = new("--from-file") { Description = "Enqueue every line of a JSON-lines file (one {\"kind\", \"args\", ...} object per line, as POST /api/jobs takes; \"ref\" and \"dependsOn\" link lines) in one round trip" };
    private static readonly Option<string[]> DependsOn = new("--depends-on")
    {
        Description = "Wait for these jobs to end first (ids, comma-separated or repeated; ID:ignore runs even if that one fails)",
        AllowMultipleArgumentsPerToken = true,
    };
    private static readonly Option<double?> Weight = new("--weight") { Description = "Its share in its batch's progress (default 1)" };
    private static readonly Option<string?> TraceParent = new("--traceparent") { Description = "A W3C traceparent the job's attempts continue (env TRACEPARENT)" };
    private static readonly Option<bool> Wait = new("--wait", "-w") { Description = "Wait for the job, showing progress; exit 0 completed, 1 failed or cancelled" };
    private static readonly Option<bool> Quiet = new("--quiet", "-q") { Description = "Print only the job's id, for scripts: id=$(conveyor enqueue demo.sleep -q)" };

    public static Command Create(CliSettings settings)
    {
        var command = new Command("enqueue", "Enqueue a job (or many with --from-file)")
        {
            Kind, Args, Queue, Priority, MaxAttempts, Delay, RunAt, Timeout, UniqueKey, ConcurrencyKey, Tags, DependsOn, Weight, TraceParent, FromFile, Wait, Quiet, CommonOptions.Json,
        };
        command.SetAction((parse, ct) => CliApp.Guard(() => RunAsync(parse, settings, ct)));
        return command;
    }

    private static async Task<int> RunAsync(ParseResult parse, CliSettings settings, CancellationToken ct)
    {
        var json = parse.GetValue(CommonOptions.Json);
        var fromFile = parse.GetValue(FromFile);
        var kind = parse.GetValue(Kind);
        if (fromFile is not null && kind is not null)
            throw new JobValidationException("Give either a kind or --from-file, not both.");
        if (fromFile is null && kind is null)
            throw new JobValidationException("A job kind is required, e.g. 'conveyor enqueue demo.sleep --args '{\"seconds\":5}''.");

        // Everything is parsed and validated before the store is touched: bad input enqueues nothing.
        var requests = fromFile is not null ? JobLines.Read(fromFile, "--from-file") : [new JobRequest(kind!, parse.GetValue(Args), ReadOptions(parse))];
        foreach (var request in requests)
            JobValidation.ValidateArgs(request.ArgsJson, int.MaxValue);

        await using var services = CommonOptions.BuildClient(parse, settings, createsDatabase: true);
        var client = services.GetRequiredService<IJobClient>();
        var results = await client.EnqueueManyAsync(requests, null, ct);

        if (fromFile is not null)
        {
            if (json)
                JobRendering.WriteJson(new { jobs = results });
            else
                Console.Out.WriteLine($"enqueued {results.Count(r => !r.Duplicate)} jobs ({results.Count(r => r.Duplicate)} duplicates), ids {results[0].Id}..{results[^1].Id}");
            return ExitCodes.Ok;
        }

        var result = results[0];
        var quiet = parse.GetValue(Quiet) && !json;
        if (quiet)
            Console.Out.WriteLine(result.Id);
        if (!parse.GetValue(Wait))
        {
            if (quiet)
                return ExitCodes.Ok;
            if (json)
                JobRendering.WriteJson(new { id = result.Id, duplicate = result.Duplicate });
            else
                Console.Out.WriteLine(result.Duplicate ? $"job {result.Id} already exists (unique key)" : $"enqueued job {result.Id}");
            return ExitCodes.Ok;
        }

        if (!json && !quiet)
            Console.Out.WriteLine($"enqueued job {result.Id}{(result.Duplicate ? " (existing, unique key)" : "")}; waiting");
        var final = await JobRendering.FollowAsync(client, result.Id, json || quiet, ct);
        if (json)
            JobRendering.WriteJson(final);
        else if (!quiet)
            WriteOutcome(final);
        return final.State == JobState.Completed ? ExitCodes.Ok : ExitCodes.JobNotCompleted;
    }

    internal static void WriteOutcome(Job job)
    {
        if (job.Result is { } result)
            Console.Out.WriteLine("result: " + result.GetRawText());
        if (job.State != JobState.Completed && job.Errors.Count > 0)
        {
            var last = job.Errors[^1];
            Console.Out.WriteLine($"last error (attempt {last.Attempt}): {last.Type}: {last.Message}");
        }
    }

    private static EnqueueOptions ReadOptions(ParseResult parse) => new()
    {
        Queue = parse.GetValue(Queue),
        Priority = parse.GetValue(Priority),
        MaxAttempts = parse.GetValue(MaxAttempts),
        Delay = parse.GetValue(Delay) is { } delay ? Durations.Parse(delay, "--delay") : null,
        RunAt = parse.GetValue(RunAt) is { } runAt
            ? DateTimeOffset.TryParse(runAt, System.Globalization.CultureInfo.InvariantCulture, System.Globalization.DateTimeStyles.AssumeUniversal, out var t) ? t
                : throw new JobValidationException($"--run-at: '{runAt}' is not an ISO-8601 time.")
            : null,
        Timeout = parse.GetValue(Timeout) is { } timeout ? Durations.Parse(timeout, "--timeout") : null,
        UniqueKey = parse.GetValue(UniqueKey),
        ConcurrencyKey = parse.GetValue(ConcurrencyKey),
        Tags = parse.GetValue(Tags)?.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries),
        DependsOn = parse.GetValue(DependsOn) is { Length: > 0 } dependsOn ? [.. dependsOn.SelectMany(d => d.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)).Select(ParseDependency)] : null,
        Weight = parse.GetValue(Weight),
        TraceParent = parse.GetValue(TraceParent) ?? (Environment.GetEnvironmentVariable("TRACEPARENT") is { Length: > 0 } inherited ? inherited : null),
    };

    /// <summary>"42" or "42:ignore" (or "42:fail").</summary>
    private static JobDependency ParseDependency(string text)
    {
        var (idText, policy) = text.Split(':', 2) is [var i, var p] ? (i, p) : (text, "fail");
        if (!long.TryParse(idText, out var id) || id <= 0)
            throw new JobValidationException($"--depends-on: '{text}' is not a job id (42, or 42:ignore).");
        return policy switch
        {
            "fail" => JobDependency.On(id),
            "ignore" => JobDependency.On(id, DependencyFailure.Ignore),
            _ => throw new JobValidationException($"--depends-on: '{text}': after the id, give :fail or :ignore."),
        };
    }
}
