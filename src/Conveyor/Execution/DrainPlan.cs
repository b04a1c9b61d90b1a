using Conveyor.Storage;

namespace Conveyor.Execution;

/// <summary>
/// One-shot runs (<c>conveyor drain</c>): the worker claims at most <see cref="Max"/> jobs, says when nothing is ready and
/// nothing runs any more, and tallies how the attempts it ran ended. Absent (null in the settings) for a normal worker,
/// which then behaves exactly as before.
/// </summary>
internal sealed class DrainPlan(int? max)
{
    private int _claimed;
    private int _completed;
    private int _other;

    public int? Max { get; } = max;

    /// <summary>Set once the worker found nothing ready with nothing running, or reached <see cref="Max"/> and finished those.</summary>
    public TaskCompletionSource Drained { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public int Claimed => Volatile.Read(ref _claimed);
    public int Completed => Volatile.Read(ref _completed);
    public int NotCompleted => Volatile.Read(ref _other);

    /// <summary>How many of <paramref name="free"/> slots the next claim may fill.</summary>
    public int Allow(int free) => Max is { } m ? Math.Min(free, m - Claimed) : free;

    public void OnClaimed(int count) => Interlocked.Add(ref _claimed, count);

    public void OnOutcome(AttemptOutcome outcome)
    {
        if (outcome.State == JobState.Completed)
            Interlocked.Increment(ref _completed);
        else
            Interlocked.Increment(ref _other);
    }
}
