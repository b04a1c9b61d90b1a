namespace Conveyor.Testing;

/// <summary>How a <see cref="TestConveyor"/> runs jobs.</summary>
public enum TestMode
{
    /// <summary>Jobs are stored; the test runs what is ready with <see cref="TestConveyor.DrainAsync"/>.</summary>
    Manual,

    /// <summary>
    /// Each enqueue through the client runs the job (and whatever becomes ready because of it) before it returns, in the
    /// caller's flow. The args go through the store and the real serializer first, as they would in production.
    /// </summary>
    Inline,
}

/// <summary>Settings of a <see cref="TestConveyor"/>.</summary>
public sealed class TestConveyorOptions
{
    /// <summary>Manual (the default) or inline.</summary>
    public TestMode Mode { get; set; } = TestMode.Manual;

    /// <summary>Where the clock starts. Default: 2030-01-01 00:00 UTC.</summary>
    public DateTimeOffset Start { get; set; } = new(2030, 1, 1, 0, 0, 0, TimeSpan.Zero);

    /// <summary>
    /// Throw <see cref="JobAttemptFailedException"/> when an attempt run by the kit fails by an exception (a handler that
    /// threw, args that did not deserialize, an unknown kind, a timeout). Default: true. Results the handler chose
    /// (retry, snooze, cancel, discard) never throw.
    /// </summary>
    public bool ThrowOnFailure { get; set; } = true;

    /// <summary>A drain that runs more attempts than this stops with an error (a job that re-enqueues itself forever). Default: 10,000.</summary>
    public int MaxAttemptsPerDrain { get; set; } = 10_000;
}
