using System.Collections.Concurrent;

namespace Conveyor.Conformance;

/// <summary>The handlers the engine suite runs, and the log they write (also used by store-specific tests).</summary>
public static class EngineHandlers
{
    public sealed class ExecutionLog
    {
        public ConcurrentDictionary<long, int> Runs { get; } = new();
        public ConcurrentDictionary<long, bool> Cancelled { get; } = new();
        public int Record(long id) => Runs.AddOrUpdate(id, 1, (_, n) => n + 1);
    }

    public sealed record RecordArgs(int N);
    public sealed class RecordHandler(ExecutionLog log) : IJobHandler<RecordArgs>
    {
        public Task<JobResult> HandleAsync(JobContext<RecordArgs> job, CancellationToken ct)
        {
            log.Record(job.JobId);
            return Task.FromResult(JobResult.Completed(new { job.Args.N }));
        }
    }

    public sealed record FlakyArgs(int FailTimes);
    public sealed class FlakyHandler : IJobHandler<FlakyArgs>
    {
        public Task<JobResult> HandleAsync(JobContext<FlakyArgs> job, CancellationToken ct) =>
            job.Attempt <= job.Args.FailTimes
                ? throw new InvalidOperationException($"flaky failure on attempt {job.Attempt}")
                : Task.FromResult(JobResult.Completed());
    }

    public sealed record SleepArgs(int Ms);
    public sealed class SleepHandler(ExecutionLog log) : IJobHandler<SleepArgs>
    {
        public async Task<JobResult> HandleAsync(JobContext<SleepArgs> job, CancellationToken ct)
        {
            try
            {
                await Task.Delay(job.Args.Ms, ct);
            }
            catch (OperationCanceledException)
            {
                log.Cancelled[job.JobId] = true;
                throw;
            }
            return JobResult.Completed();
        }
    }

    public sealed record ProgressArgs(int Reports, int DelayMs = 0);
    public sealed class ProgressHandler : IJobHandler<ProgressArgs>
    {
        public async Task<JobResult> HandleAsync(JobContext<ProgressArgs> job, CancellationToken ct)
        {
            var started = System.Diagnostics.Stopwatch.StartNew();
            for (var i = 1; i <= job.Args.Reports; i++)
            {
                await job.ReportProgressAsync(null, $"item {i}", i, job.Args.Reports);
                if (job.Args.DelayMs > 0)
                    await Task.Delay(job.Args.DelayMs, ct);
            }
            return JobResult.Completed(new { reported = job.Args.Reports, elapsedMs = started.Elapsed.TotalMilliseconds });
        }
    }

    public sealed record SnoozeArgs(int Times);
    public sealed class SnoozeHandler(ExecutionLog log) : IJobHandler<SnoozeArgs>
    {
        public Task<JobResult> HandleAsync(JobContext<SnoozeArgs> job, CancellationToken ct)
        {
            var runs = log.Record(job.JobId);
            return Task.FromResult(runs <= job.Args.Times ? JobResult.Snooze(TimeSpan.FromMilliseconds(50)) : JobResult.Completed());
        }
    }

    public sealed record PermanentArgs;
    public sealed class PermanentHandler : IJobHandler<PermanentArgs>
    {
        public Task<JobResult> HandleAsync(JobContext<PermanentArgs> job, CancellationToken ct) =>
            throw new JobPermanentFailureException("no retry for you");
    }
}
