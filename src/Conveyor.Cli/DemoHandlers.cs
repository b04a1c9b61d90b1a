namespace Conveyor.Cli;

/// <summary>The demo kinds every <c>conveyor</c> process knows: demo.sleep, demo.fail, demo.noop, demo.collect.</summary>
internal static class DemoHandlers
{
    public static ConveyorOptions AddDemoHandlers(this ConveyorOptions options) => options
        .AddHandler<DemoSleepArgs, DemoSleepHandler>("demo.sleep")
        .AddHandler<DemoFailArgs, DemoFailHandler>("demo.fail")
        .AddHandler<DemoNoopArgs, DemoNoopHandler>("demo.noop", k => k.MaxAttempts = 3)
        .AddHandler<DemoCollectArgs, DemoCollectHandler>("demo.collect");
}

/// <param name="Seconds">Total run time; fractions allowed.</param>
/// <param name="Steps">Progress reports spread over the run.</param>
internal sealed record DemoSleepArgs(double Seconds = 1, int Steps = 10);

/// <summary><c>demo.sleep</c>: sleeps in steps, reporting progress after each; returns what it did.</summary>
internal sealed class DemoSleepHandler(TimeProvider time) : IJobHandler<DemoSleepArgs>
{
    public async Task<JobResult> HandleAsync(JobContext<DemoSleepArgs> job, CancellationToken ct)
    {
        var steps = Math.Max(1, job.Args.Steps);
        var seconds = Math.Max(0, job.Args.Seconds);
        var perStep = TimeSpan.FromSeconds(seconds / steps);
        await job.ReportProgressAsync(0, "starting", 0, steps);
        for (var i = 1; i <= steps; i++)
        {
            await Task.Delay(perStep, time, ct);
            await job.ReportProgressAsync(null, $"step {i} of {steps}", i, steps);
        }
        return JobResult.Completed(new { slept = seconds, steps });
    }
}

internal sealed record DemoFailArgs(string Message = "demo.fail always fails");

/// <summary><c>demo.fail</c>: always throws, to watch retries with back-off and the final failure.</summary>
internal sealed class DemoFailHandler : IJobHandler<DemoFailArgs>
{
    public Task<JobResult> HandleAsync(JobContext<DemoFailArgs> job, CancellationToken ct) =>
        throw new InvalidOperationException($"{job.Args.Message} (attempt {job.Attempt} of {job.MaxAttempts})");
}

internal sealed record DemoNoopArgs;

/// <summary><c>demo.noop</c>: does nothing; what the benchmarks drain.</summary>
internal sealed class DemoNoopHandler : IJobHandler<DemoNoopArgs>
{
    private static readonly Task<JobResult> Done = Task.FromResult(JobResult.Completed());

    public Task<JobResult> HandleAsync(JobContext<DemoNoopArgs> job, CancellationToken ct) => Done;
}

internal sealed record DemoCollectArgs;

/// <summary><c>demo.collect</c>: returns what the jobs it depended on returned (enqueue it with dependsOn).</summary>
internal sealed class DemoCollectHandler : IJobHandler<DemoCollectArgs>
{
    public async Task<JobResult> HandleAsync(JobContext<DemoCollectArgs> job, CancellationToken ct)
    {
        var dependencies = await job.DependencyResultsAsync();
        return JobResult.Completed(new
        {
            dependencies = dependencies.Select(d => new { id = d.JobId, kind = d.Kind, state = d.State?.ToName(), result = d.Result }),
        });
    }
}
