namespace Conveyor.Tests.Engine;

public sealed record Args(int N = 0);

internal sealed class CompletesHandler : IJobHandler<Args>
{
    public Task<JobResult> HandleAsync(JobContext<Args> job, CancellationToken ct) => Task.FromResult(JobResult.Completed(new { doubled = job.Args.N * 2 }));
}

internal sealed class ThrowsHandler : IJobHandler<Args>
{
    public Task<JobResult> HandleAsync(JobContext<Args> job, CancellationToken ct) => throw new InvalidOperationException($"boom {job.Attempt}");
}

internal sealed class PermanentHandler : IJobHandler<Args>
{
    public Task<JobResult> HandleAsync(JobContext<Args> job, CancellationToken ct) => throw new JobPermanentFailureException("never again");
}

internal sealed class SnoozesHandler : IJobHandler<Args>
{
    public Task<JobResult> HandleAsync(JobContext<Args> job, CancellationToken ct) => Task.FromResult(JobResult.Snooze(TimeSpan.FromMinutes(2)));
}

internal sealed class WaitsHandler(HandlerGate gate) : IJobHandler<Args>
{
    public async Task<JobResult> HandleAsync(JobContext<Args> job, CancellationToken ct)
    {
        await gate.WaitAsync(ct);
        return JobResult.Completed();
    }
}

internal sealed class IgnoresCancellationHandler(HandlerGate gate) : IJobHandler<Args>
{
    public async Task<JobResult> HandleAsync(JobContext<Args> job, CancellationToken ct)
    {
        await gate.WaitIgnoringCancellationAsync();
        return JobResult.Completed();
    }
}

internal sealed class ReportsProgressHandler(HandlerGate gate) : IJobHandler<Args>
{
    public async Task<JobResult> HandleAsync(JobContext<Args> job, CancellationToken ct)
    {
        for (var i = 1; i <= job.Args.N; i++)
            await job.ReportProgressAsync(null, $"item {i}", i, job.Args.N);
        await gate.WaitAsync(ct);
        return JobResult.Completed();
    }
}
