using System.Text.Json;
using Conveyor.Storage;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Conveyor.Execution;

/// <summary>Runs one attempt in its own DI scope and turns its value or exception into one outcome for the completer.</summary>
internal sealed class Executor(
    IServiceProvider services,
    IJobStore store,
    JobKindRegistry kinds,
    ConveyorOptions options,
    RunningJobs running,
    Completer completer,
    TimeProvider time,
    ILoggerFactory loggerFactory)
{
    private const int MaxStackLength = 4000;
    private readonly ILogger _logger = loggerFactory.CreateLogger("Conveyor.Executor");

    public async Task RunAsync(ClaimedJob job)
    {
        var progress = new ProgressReporter(store, job, options.WorkerId, options.ProgressInterval, time, _logger);
        using var attempt = new RunningJob(job, progress);
        running.Add(attempt);
        try
        {
            var finish = await ExecuteAsync(attempt);
            progress.Close();
            try
            {
                await completer.AddAsync(finish with { Progress = progress.Latest });
            }
            catch (System.Threading.Channels.ChannelClosedException)
            {
                // A handler that ignored cancellation returned after shutdown handed its job back: the job is
                // queued again (or will be rescued), so this late outcome has nowhere to go and is dropped.
                _logger.LogWarning("Job {JobId}: outcome {State} arrived after shutdown; the job was already handed back", job.Id, finish.State.ToName());
            }
        }
        finally
        {
            running.Remove(attempt);
        }
    }

    private async Task<JobFinish> ExecuteAsync(RunningJob attempt)
    {
        var job = attempt.Job;
        if (!kinds.TryGet(job.Kind, out var registration))
        {
            // Retried: a worker running a newer version may know this kind.
            var error = new JobError(time.GetUtcNow(), job.Attempt, "UnknownJobKind", $"No handler for kind '{job.Kind}' in worker {options.WorkerId}.");
            _logger.LogWarning("Job {JobId}: no handler for kind {Kind}", job.Id, job.Kind);
            return Failed(job, error, null, retryable: true);
        }

        var timeout = job.Timeout ?? registration.Options.Timeout;
        using var timer = timeout is { } t ? time.CreateTimer(_ => attempt.Cancel(CancelReason.Timeout), null, t, Timeout.InfiniteTimeSpan) : null;
        var info = new JobAttemptInfo(job.Id, job.Kind, job.Queue, job.Attempt, job.MaxAttempts, job.CreatedAt, job.BatchId, options.WorkerId);
        var logger = loggerFactory.CreateLogger($"Conveyor.Jobs.{job.Kind}");
        try
        {
            await using var scope = services.CreateAsyncScope();
            var result = await registration.Invoke(scope.ServiceProvider, job.Args, info, logger, attempt.Progress, attempt.Token);
            return FromResult(job, registration, result);
        }
        catch (Exception ex)
        {
            return FromException(job, registration, attempt.Reason, timeout, ex);
        }
    }

    private JobFinish FromResult(ClaimedJob job, JobKindRegistration registration, JobResult result)
    {
        var now = time.GetUtcNow();
        switch (result.Kind)
        {
            case JobResultKind.Completed:
                string? json = null;
                if (result.Value is not null)
                {
                    try
                    {
                        json = JsonSerializer.Serialize(result.Value, result.Value.GetType(), ConveyorJson.Options);
                    }
                    catch (Exception ex) when (ex is NotSupportedException or JsonException or InvalidOperationException)
                    {
                        return Failed(job, ErrorOf(job, ex), registration, retryable: false);
                    }
                }
                return new JobFinish(job.Id, job.Attempt, options.WorkerId, JobState.Completed, now, Result: json);
            case JobResultKind.Retry:
                return Failed(job, new JobError(now, job.Attempt, "Retry", result.Reason ?? "Retry requested by the handler."), registration, retryable: true, result.Delay);
            case JobResultKind.Snooze:
                return Snoozed(job, result.Delay ?? TimeSpan.Zero);
            case JobResultKind.Cancel:
                return new JobFinish(job.Id, job.Attempt, options.WorkerId, JobState.Cancelled, now,
                    Error: new JobError(now, job.Attempt, "Cancelled", result.Reason ?? "Cancelled by the handler."));
            case JobResultKind.Discard:
                return Failed(job, new JobError(now, job.Attempt, "Discarded", result.Reason ?? "Discarded by the handler."), registration, retryable: false);
            default:
                throw new InvalidOperationException($"Unknown result kind {result.Kind}.");
        }
    }

    private JobFinish FromException(ClaimedJob job, JobKindRegistration registration, CancelReason reason, TimeSpan? timeout, Exception ex)
    {
        var now = time.GetUtcNow();
        if (ex is OperationCanceledException)
        {
            switch (reason)
            {
                case CancelReason.Shutdown or CancelReason.Lost:
                    // Handed straight back without charging an attempt; a lost job's write is fenced out anyway.
                    return new JobFinish(job.Id, job.Attempt, options.WorkerId, JobState.Queued, now, RunAt: now, RefundAttempt: true);
                case CancelReason.Requested:
                    return new JobFinish(job.Id, job.Attempt, options.WorkerId, JobState.Cancelled, now,
                        Error: new JobError(now, job.Attempt, "Cancelled", "Cancellation was requested while the job ran."));
                case CancelReason.Timeout:
                    _logger.LogWarning("Job {JobId} ({Kind}) attempt {Attempt} timed out after {Timeout}", job.Id, job.Kind, job.Attempt, timeout);
                    return Failed(job, new JobError(now, job.Attempt, "Timeout", $"The attempt exceeded its timeout of {timeout}."), registration, retryable: true);
            }
        }
        if (ex is JobSnoozeException snooze)
            return Snoozed(job, snooze.Delay);
        var permanent = ex is JobPermanentFailureException;
        _logger.LogWarning(ex, "Job {JobId} ({Kind}) attempt {Attempt}/{MaxAttempts} failed", job.Id, job.Kind, job.Attempt, job.MaxAttempts);
        return Failed(job, ErrorOf(job, ex), registration, retryable: !permanent);
    }

    private JobFinish Snoozed(ClaimedJob job, TimeSpan delay)
    {
        var now = time.GetUtcNow();
        return new JobFinish(job.Id, job.Attempt, options.WorkerId, JobState.Scheduled, now, RunAt: now + delay, RefundAttempt: true);
    }

    private JobFinish Failed(ClaimedJob job, JobError error, JobKindRegistration? registration, bool retryable, TimeSpan? delay = null)
    {
        var now = time.GetUtcNow();
        if (!retryable || job.Attempt >= job.MaxAttempts)
            return new JobFinish(job.Id, job.Attempt, options.WorkerId, JobState.Failed, now, Error: error);
        var backoff = registration?.Options.Backoff ?? options.Backoff;
        var runAt = now + (delay ?? backoff.DelayFor(job.Attempt, Random.Shared));
        return new JobFinish(job.Id, job.Attempt, options.WorkerId, JobState.Scheduled, now, Error: error, RunAt: runAt);
    }

    private JobError ErrorOf(ClaimedJob job, Exception ex)
    {
        var stack = ex.StackTrace;
        if (stack is { Length: > MaxStackLength })
            stack = stack[..MaxStackLength] + "\n   ...";
        return new JobError(time.GetUtcNow(), job.Attempt, ex.GetType().FullName ?? ex.GetType().Name, ex.Message, stack);
    }
}
