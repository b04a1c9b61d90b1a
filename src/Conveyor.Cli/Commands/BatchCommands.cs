using System.CommandLine;
using System.Text.Json;
using Conveyor.Web;
using Microsoft.Extensions.DependencyInjection;

namespace Conveyor.Cli.Commands;

/// <summary>conveyor batches add FILE | status ID.</summary>
internal static class BatchCommands
{
    private static readonly Argument<string> File = new("file") { Description = "A JSON-lines file: one job per line, as POST /api/jobs takes it ({\"kind\", \"args\", ...}); - for standard input" };
    private static readonly Argument<string> Id = new("id") { Description = "The batch id" };
    private static readonly Option<string?> BatchId = new("--id") { Description = "The batch's id (default: a new one)" };

    public static Command Create(CliSettings settings)
    {
        var command = new Command("batches", "Enqueue many jobs as one batch and follow it");
        var add = new Command("add", "Enqueue every job of a JSON-lines file as one batch") { File, BatchId, CommonOptions.Json };
        add.SetAction((parse, ct) => CliApp.Guard(async () =>
        {
            var path = parse.GetValue(File)!;
            var requests = JobLines.Read(path, "batches add");
            await using var services = CommonOptions.BuildClient(parse, settings);
            var result = await services.GetRequiredService<IJobClient>().EnqueueBatchAsync(requests, parse.GetValue(BatchId), ct);
            if (parse.GetValue(CommonOptions.Json))
                JobRendering.WriteJson(result);
            else
                Console.Out.WriteLine($"batch {result.BatchId}: {result.Jobs.Count} jobs enqueued");
            return ExitCodes.Ok;
        }));
        var status = new Command("status", "A batch's jobs by state and their mean progress") { Id, CommonOptions.Json };
        status.SetAction((parse, ct) => CliApp.Guard(async () =>
        {
            await using var services = CommonOptions.BuildClient(parse, settings);
            var id = parse.GetValue(Id)!;
            var batch = await services.GetRequiredService<IJobClient>().BatchAsync(id, ct) ?? throw new JobValidationException($"No job has batch id '{id}'.");
            if (parse.GetValue(CommonOptions.Json))
                JobRendering.WriteJson(BatchView.From(batch));
            else
                Console.Out.WriteLine($"batch {id}: {batch.Finished} of {batch.Total} finished, {batch.Progress:0.#}% — " +
                    string.Join(", ", batch.Counts.OrderBy(c => c.Key).Select(c => $"{c.Key.ToName()} {c.Value}")));
            return ExitCodes.Ok;
        }));
        command.Add(add);
        command.Add(status);
        return command;
    }

}
