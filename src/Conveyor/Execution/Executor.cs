using System.Collections.Concurrent;
using System.Text.Json;
using Conveyor.Storage;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Conveyor.Execution;

/// <summary>Runs one attempt in its own DI scope and turns its value or exception into one outcome for the completer.</summary>
internal sealed class Executor(
    IServiceProvider services,
    IJobExecutionStore store,
    JobKindRegistry kinds,
    RetryPolicy retries,
    WorkerSettings settings,
    RunningJobs running,
    Completer completer,
    TimeProvider time,
    ILoggerFactory loggerFactory,
    Telemetry.ConveyorMetrics? metrics = null,
    Telemetry.ConveyorTracing? tracing = null)
{
    private const int MaxStackLength = 4000;
    private readonly ILogger _logger = loggerFactory.CreateLogger("Conveyor.Executor");
    // Per job, nothing that could be made once is made again: the handlers' loggers (one per kind), and the delegates below
    // (set on first use). The allocation profile of a no-op drain showed these among its larger items.
    private readonly ConcurrentDictionary<string, ILogger> _kindLoggers = new(StringComparer.Ordinal);
    private Func<AttemptOutcome, Task>? _toCompleter;
    private DependencyReader? _readDependencies;

    /// <summary>Runs the attempt in the slot the producer reserved for it, and frees the slot when done.</summary>
    public Task RunAsync(ClaimedJob job) => AttemptAsync(job, _toCompleter ??= ToCompleterAsync);

    private async Task ToCompleterAsync(AttemptOutcome outcome)
    {
        if (!await completer.TryAddAsync(outcome))
        {
            // A handler that ignored cancellation returned after shutdown handed its job back: the job is
            // queued again (or will be rescued), so this late outcome has nowhere to go and is dropped.
            _logger.LogWarning("Job {JobId}: outcome {Reason} arrived after shutdown; the job was already handed back", outcome.Id, outcome.Reason);
        }
    }

    /// <summary>
    /// Runs one attempt to its outcome (with its final progress) and hands it to <paramref name="deliver"/> — the worker's
    /// completer, or Conveyor.Testing's direct write — <em>before</em> the slot frees: shutdown waits for the slots, then
    /// stops the completer, so an outcome delivered after its slot freed would find the completer closed. The exception
    /// is the handler's own, when it threw.
    /// </summary>
    internal async Task<(AttemptOutcome Outcome, Exception? Exception)> AttemptAsync(ClaimedJob job, Func<AttemptOutcome, Task> deliver)
    {
        var progress = new ProgressReporter(store, job, settings.WorkerId, settings.ProgressInterval, time, _logger);
        using var attempt = new RunningJob(job, progress);
        running.Add(attempt);
        var started = time.GetTimestamp();
        metrics?.Started(job, time.GetUtcNow());
        var span = tracing?.StartAttempt(job, settings.TraceLinkQueues.Contains(job.Queue));
        // Everything logged during the attempt (the handler's loggers included: scopes are the logger factory's) says which
        // job, attempt and worker it is about, and in which trace.
        using var logScope = _logger.BeginScope(new Telemetry.JobLogScope(job, settings.WorkerId, span));
        try
        {
            var (outcome, exception) = await ExecuteAsync(attempt);
            metrics?.Ran(job, outcome.Reason, time.GetElapsedTime(started));
            Telemetry.ConveyorTracing.End(span, outcome);
            span = null;
            progress.Close();
            outcome = outcome with { Kind = job.Kind, Progress = progress.Latest };
            await deliver(outcome);
            return (outcome, exception);
        }
        finally
        {
            span?.Dispose(); // ended without an outcome (the executor itself failed)
            running.Remove(attempt);
        }
    }

    private async ValueTask<(AttemptOutcome, Exception?)> ExecuteAsync(RunningJob attempt)
    {
        var job = attempt.Job;
        if (!kinds.TryGet(job.Kind, out var registration))
        {
            // Retried: a worker running a newer version may know this kind.
            _logger.LogWarning("Job {JobId}: no handler for kind {Kind}", job.Id, job.Kind);
            return (retries.Failed(job, settings.WorkerId, Error(job, "UnknownJobKind", $"No handler for kind '{job.Kind}' in worker {settings.WorkerId}."), retryable: true), null);
        }

        var timeout = job.Timeout ?? registration.Options.Timeout;
        using var timer = timeout is { } t ? time.CreateTimer(_ => attempt.Cancel(CancelReason.Timeout), null, t, Timeout.InfiniteTimeSpan) : null;
        var info = new JobAttemptInfo(job.Id, job.Kind, job.Queue, job.Attempt, job.MaxAttempts, job.CreatedAt, job.BatchId, settings.WorkerId);
        var logger = _kindLoggers.GetOrAdd(job.Kind, static (kind, factory) => factory.CreateLogger($"Conveyor.Jobs.{kind}"), loggerFactory);
        try
        {
            await using var scope = services.CreateAsyncScope();
            var result = await registration.Invoke(scope.ServiceProvider, job.Args, info, logger, attempt.Progress, _readDependencies ??= ReadDependenciesAsync, attempt.Token);
            return (FromResult(job, result), null);
        }
        catch (Exception ex)
        {
            return (FromException(job, attempt.Reason, timeout, ex), ex);
        }
    }

    private Task<IReadOnlyList<DependencyResult>> ReadDependenciesAsync(long jobId, CancellationToken ct) =>
        (services.GetService<IJobDependencyStore>() ?? throw new InvalidOperationException("This store keeps no job dependencies."))
            .JobDependenciesAsync(jobId, ct);

    private AttemptOutcome FromResult(ClaimedJob job, JobResult result)
    {
        var worker = settings.WorkerId;
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
                        return retries.Failed(job, worker, ErrorOf(job, ex), retryable: false);
                    }
                }
                return AttemptOutcome.Completed(job.Lease, worker, json);
            case JobResultKind.Retry:
                return retries.Failed(job, worker, Error(job, "Retry", result.Reason ?? "Retry requested by the handler."), retryable: true, requested: result.Delay);
            case JobResultKind.Snooze:
                return AttemptOutcome.Snoozed(job.Lease, worker, result.Delay ?? TimeSpan.Zero);
            case JobResultKind.Cancel:
                return AttemptOutcome.Cancelled(job.Lease, worker, Error(job, "Cancelled", result.Reason ?? "Cancelled by the handler."));
            case JobResultKind.Discard:
                return AttemptOutcome.Failed(job.Lease, worker, Error(job, "Discarded", result.Reason ?? "Discarded by the handler."), OutcomeReason.Discarded);
            default:
                throw new InvalidOperationException($"Unknown result kind {result.Kind}.");
        }
    }

    private AttemptOutcome FromException(ClaimedJob job, CancelReason reason, TimeSpan? timeout, Exception ex)
    {
        var worker = settings.WorkerId;
        if (ex is OperationCanceledException)
        {
            switch (reason)
            {
                case CancelReason.Shutdown or CancelReason.Lost:
                    // Handed straight back without charging an attempt; a lost job's write is fenced out anyway.
                    return AttemptOutcome.HandedBack(job.Lease, worker);
                case CancelReason.Requested:
                    return AttemptOutcome.Cancelled(job.Lease, worker, Error(job, "Cancelled", "Cancellation was requested while the job ran."));
                case CancelReason.Timeout:
                    _logger.LogWarning("Job {JobId} ({Kind}) attempt {Attempt} timed out after {Timeout}", job.Id, job.Kind, job.Attempt, timeout);
                    return retries.Failed(job, worker, Error(job, "Timeout", $"The attempt exceeded its timeout of {timeout}."), retryable: true, OutcomeReason.TimedOut);
            }
        }
        if (ex is JobSnoozeException snooze)
            return AttemptOutcome.Snoozed(job.Lease, worker, snooze.Delay);
        var permanent = ex is JobPermanentFailureException;
        _logger.LogWarning(ex, "Job {JobId} ({Kind}) attempt {Attempt}/{MaxAttempts} failed", job.Id, job.Kind, job.Attempt, job.MaxAttempts);
        return retries.Failed(job, worker, ErrorOf(job, ex), retryable: !permanent);
    }

    private JobError Error(ClaimedJob job, string type, string message) => new(time.GetUtcNow(), job.Attempt, type, message);

    private JobError ErrorOf(ClaimedJob job, Exception ex)
    {
        var stack = ex.StackTrace;
        if (stack is { Length: > MaxStackLength })
            stack = stack[..MaxStackLength] + "\n   ...";
        return new JobError(time.GetUtcNow(), job.Attempt, ex.GetType().FullName ?? ex.GetType().Name, ex.Message, stack);
    }
}
