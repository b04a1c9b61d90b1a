using System.Text.Json;
using Spectre.Console;

namespace Conveyor.Cli.Commands;

/// <summary>How jobs look on a terminal, and as JSON for scripts.</summary>
internal static class JobRendering
{
    public static void WriteJson(object value) =>
        Console.Out.WriteLine(JsonSerializer.Serialize(value, ConveyorJson.Options));

    public static string Describe(Job job)
    {
        var parts = new List<string> { $"job {job.Id}", job.State.ToName() };
        if (job.Progress is { } p)
        {
            if (p.Percent is { } percent) parts.Add($"{percent}%");
            if (p.Stage is { Length: > 0 } stage) parts.Add(stage);
            if (p.Done is { } done) parts.Add(p.Total is { } total ? $"({done}/{total})" : $"({done})");
        }
        if (job.State is JobState.Scheduled && job.Attempt > 0) parts.Add($"retry at {job.RunAt:HH:mm:ss}");
        return string.Join(" ", parts);
    }

    public static string Markup(JobState state) => state switch
    {
        JobState.Completed => "[green]completed[/]",
        JobState.Failed => "[red]failed[/]",
        JobState.Cancelled => "[grey]cancelled[/]",
        JobState.Running => "[blue]running[/]",
        JobState.Scheduled => "[yellow]scheduled[/]",
        JobState.Waiting => "[purple]waiting[/]",
        _ => "queued",
    };

    public static void WriteDetails(Job job)
    {
        var grid = new Grid().AddColumn().AddColumn();
        void Row(string name, string? value) => grid.AddRow(new Text(name, new Style(Color.Grey)), new Text(value ?? "-"));
        Row("id", job.Id.ToString());
        grid.AddRow(new Text("state", new Style(Color.Grey)), new Markup(Markup(job.State)));
        Row("kind", job.Kind);
        Row("queue", job.Queue);
        Row("attempt", $"{job.Attempt} of {job.MaxAttempts}");
        Row("priority", job.Priority.ToString());
        Row("args", job.Args.GetRawText());
        Row("created", job.CreatedAt.ToString("u"));
        Row("run at", job.RunAt.ToString("u"));
        Row("started", job.StartedAt?.ToString("u"));
        Row("finished", job.FinishedAt?.ToString("u"));
        Row("worker", job.WorkerId);
        if (job.Progress is { } p)
            Row("progress", $"{p.Percent?.ToString() ?? "-"}% {p.Stage} {(p.Done is null ? "" : $"{p.Done}/{p.Total}")}".Trim());
        if (job.Result is { } result)
            Row("result", result.GetRawText());
        AnsiConsole.Write(grid);
        foreach (var error in job.Errors)
            AnsiConsole.MarkupLineInterpolated($"[red]attempt {error.Attempt}[/] {error.At:u} {error.Type}: {error.Message}");
    }

    /// <summary>Waits for the job, drawing a live progress bar on a terminal and a line per change otherwise.</summary>
    public static async Task<Job> FollowAsync(IJobClient client, long id, bool quiet, CancellationToken ct)
    {
        if (quiet)
            return await client.WaitAsync(id, null, null, ct);
        if (!AnsiConsole.Profile.Capabilities.Interactive || Console.IsOutputRedirected)
            return await client.WaitAsync(id, null, job => Console.Out.WriteLine(Describe(job)), ct);

        Job? final = null;
        await AnsiConsole.Progress()
            .AutoClear(false)
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn(), new SpinnerColumn())
            .StartAsync(async context =>
            {
                var task = context.AddTask($"job {id}", maxValue: 100);
                final = await client.WaitAsync(id, null, job =>
                {
                    task.Value = job.Progress?.Percent ?? (job.State == JobState.Completed ? 100 : 0);
                    task.Description = Spectre.Console.Markup.Escape(Describe(job));
                }, ct);
                if (final.State == JobState.Completed)
                    task.Value = 100;
                task.StopTask();
            });
        return final!;
    }
}
