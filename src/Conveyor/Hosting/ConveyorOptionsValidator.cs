using Microsoft.Extensions.Options;

namespace Conveyor;

/// <summary>Checks every setting at start and names the bad ones; on success the options become read-only.</summary>
internal sealed class ConveyorOptionsValidator : IValidateOptions<ConveyorOptions>
{
    public ValidateOptionsResult Validate(string? name, ConveyorOptions options)
    {
        var failures = Check(options);
        if (failures.Count > 0)
            return ValidateOptionsResult.Fail(failures);
        options.Freeze();
        return ValidateOptionsResult.Success;
    }

    /// <summary>Every problem, each naming its setting (Conveyor:Concurrency...), in declaration order.</summary>
    public static IReadOnlyList<string> Check(ConveyorOptions o)
    {
        var failures = new List<string>();
        void Require(bool ok, string message)
        {
            if (!ok)
                failures.Add(message);
        }
        void Positive(TimeSpan value, string name) => Require(value > TimeSpan.Zero, $"Conveyor:{name} must be positive (got {value}).");
        void AtLeastOne(int value, string name) => Require(value >= 1, $"Conveyor:{name} must be at least 1 (got {value}).");

        Require(o.StoreFactory is not null, "No store configured: call UseSqlite(...) or UsePostgres(...).");
        Require(o.Queues.Count > 0, "Conveyor:Queues needs at least one queue.");
        Try(() => Execution.QueuePlan.Parse(o.Queues), "Conveyor:Queues");
        AtLeastOne(o.Concurrency, nameof(o.Concurrency));
        Require(o.ClaimAhead is >= 0 and <= 100_000, $"Conveyor:ClaimAhead must be 0 to 100000 (got {o.ClaimAhead}).");
        Positive(o.PollInterval, nameof(o.PollInterval));
        Require(o.Lease >= TimeSpan.FromMilliseconds(300), $"Conveyor:Lease must be at least 300ms (got {o.Lease}).");
        Require(o.HeartbeatInterval is not { } beat || (beat > TimeSpan.Zero && beat <= o.Lease / 2),
            $"Conveyor:HeartbeatInterval must be positive and at most half the lease (got {o.HeartbeatInterval}, lease {o.Lease}).");
        Require(o.ShutdownTimeout >= TimeSpan.Zero, $"Conveyor:ShutdownTimeout must not be negative (got {o.ShutdownTimeout}).");
        Require(!string.IsNullOrWhiteSpace(o.WorkerId) && o.WorkerId.Length <= 200, "Conveyor:WorkerId must be 1 to 200 characters.");
        AtLeastOne(o.DefaultMaxAttempts, nameof(o.DefaultMaxAttempts));
        Try(() => o.Backoff.Validate(), "Conveyor:Backoff");
        AtLeastOne(o.MaxArgsBytes, nameof(o.MaxArgsBytes));
        Require(o.ProgressInterval >= TimeSpan.Zero, $"Conveyor:ProgressInterval must not be negative (got {o.ProgressInterval}).");
        Require(o.CompleterWindow >= TimeSpan.Zero, $"Conveyor:CompleterWindow must not be negative (got {o.CompleterWindow}).");
        AtLeastOne(o.CompleterBatchSize, nameof(o.CompleterBatchSize));
        Positive(o.RescueInterval, nameof(o.RescueInterval));
        Positive(o.PruneInterval, nameof(o.PruneInterval));
        AtLeastOne(o.PruneBatchSize, nameof(o.PruneBatchSize));
        Positive(o.CompletedRetention, nameof(o.CompletedRetention));
        Positive(o.FailedRetention, nameof(o.FailedRetention));
        foreach (var kind in o.Kinds.All)
        {
            var k = kind.Options;
            Require(k.MaxAttempts is not < 1, $"Kind '{kind.Kind}': MaxAttempts must be at least 1.");
            Require(k.Timeout is not { } t || t > TimeSpan.Zero, $"Kind '{kind.Kind}': Timeout must be positive.");
            if (k.Backoff is { } backoff)
                Try(() => backoff.Validate(), $"Kind '{kind.Kind}': Backoff");
            if (k.Queue is { } queue)
                Try(() => JobValidation.ValidateQueue(queue), $"Kind '{kind.Kind}': Queue");
        }
        return failures;

        void Try(Action check, string what)
        {
            try
            {
                check();
            }
            catch (ArgumentException ex)
            {
                failures.Add($"{what}: {ex.Message}");
            }
        }
    }
}
