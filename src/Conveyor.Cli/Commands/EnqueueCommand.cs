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
    private static readonly Option<string?> Tags = new("--tags") { Description = "Comma-separated tags" };
    private static readonly Option<string?> FromFile = new("--from-file") { Description = "Enqueue every line of a JSON-lines file ({\"kind\":..,\"args\":..} per line) in one round trip" };
    private static readonly Option<bool> Wait = new("--wait", "-w") { Description = "Wait for the job, showing progress; exit 0 completed, 1 failed or cancelled" };

    public static Command Create(CliSettings settings)
    {
        var command = new Command("enqueue", "Enqueue a job (or many with --from-file)")
        {
            Kind, Args, Queue, Priority, MaxAttempts, Delay, RunAt, Timeout, UniqueKey, Tags, FromFile, Wait, CommonOptions.Json,
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
        var requests = fromFile is not null ? ReadFile(fromFile) : [new JobRequest(kind!, parse.GetValue(Args), ReadOptions(parse))];
        foreach (var request in requests)
            JobValidation.ValidateArgs(request.ArgsJson, int.MaxValue);

        await using var services = CommonOptions.BuildClient(parse, settings);
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
        if (!parse.GetValue(Wait))
        {
            if (json)
                JobRendering.WriteJson(new { id = result.Id, duplicate = result.Duplicate });
            else
                Console.Out.WriteLine(result.Duplicate ? $"job {result.Id} already exists (unique key)" : $"enqueued job {result.Id}");
            return ExitCodes.Ok;
        }

        if (!json)
            Console.Out.WriteLine($"enqueued job {result.Id}{(result.Duplicate ? " (existing, unique key)" : "")}; waiting");
        var final = await JobRendering.FollowAsync(client, result.Id, json, ct);
        if (json)
            JobRendering.WriteJson(final);
        else
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
        Tags = parse.GetValue(Tags)?.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries),
    };

    private static List<JobRequest> ReadFile(string path)
    {
        if (!File.Exists(path))
            throw new JobValidationException($"--from-file: no file '{path}'.");
        var requests = new List<JobRequest>();
        var number = 0;
        foreach (var line in File.ReadLines(path))
        {
            number++;
            if (string.IsNullOrWhiteSpace(line))
                continue;
            try
            {
                using var document = JsonDocument.Parse(line);
                var root = document.RootElement;
                if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("kind", out var kind) || kind.ValueKind != JsonValueKind.String)
                    throw new JobValidationException("each line needs a \"kind\" string");
                var args = root.TryGetProperty("args", out var a) ? a.GetRawText() : null;
                var queue = root.TryGetProperty("queue", out var q) && q.ValueKind == JsonValueKind.String ? q.GetString() : null;
                var priority = root.TryGetProperty("priority", out var p) && p.ValueKind == JsonValueKind.Number ? p.GetInt32() : (int?)null;
                var unique = root.TryGetProperty("uniqueKey", out var u) && u.ValueKind == JsonValueKind.String ? u.GetString() : null;
                requests.Add(new JobRequest(kind.GetString()!, args, new EnqueueOptions { Queue = queue, Priority = priority, UniqueKey = unique }));
            }
            catch (Exception ex) when (ex is JsonException or JobValidationException or FormatException or InvalidOperationException)
            {
                throw new JobValidationException($"--from-file {path} line {number}: {ex.Message}");
            }
        }
        if (requests.Count == 0)
            throw new JobValidationException($"--from-file: '{path}' holds no jobs.");
        return requests;
    }
}
