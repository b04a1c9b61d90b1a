using Microsoft.Extensions.Logging;

namespace Conveyor.TestHandlers;

public sealed record LogArgs(string Text = "hello from a job");

/// <summary><c>test.log</c>: logs one line through an injected ILogger, for the log-format tests.</summary>
[JobKind("test.log")]
public sealed class LogHandler(ILogger<LogHandler> logger) : IJobHandler<LogArgs>
{
    public Task<JobResult> HandleAsync(JobContext<LogArgs> job, CancellationToken ct)
    {
        logger.LogInformation("Handler says {Text}", job.Args.Text);
        return Task.FromResult(JobResult.Completed());
    }
}
