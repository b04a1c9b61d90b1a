using System.Text.Json;

namespace Conveyor.Storage.Relational;

/// <summary>
/// An attempt outcome as job_apply_outcomes.sql reads it, one value per column: what both ways of binding a batch send
/// (one JSON array, <see cref="JsonParameters.Outcomes"/>; PostgreSQL's typed arrays, PostgresDialect.BindOutcomes).
/// </summary>
internal readonly record struct OutcomeRow(
    long Id, int Attempt, string Worker, string State, string? Result, string? Error, double? Delay, int Refund, int Rescue,
    int HasProgress, short? Progress, string? ProgressStage, long? ProgressDone, long? ProgressTotal)
{
    public static OutcomeRow From(AttemptOutcome o) => new(
        o.Id, o.Attempt, o.WorkerId, o.State.ToName(), o.Result,
        o.Error is null ? null : JsonSerializer.Serialize(o.Error, ConveyorJson.Options),
        o.Delay?.TotalSeconds, o.RefundAttempt ? 1 : 0, o.RequireExpiredLease ? 1 : 0, o.Progress is null ? 0 : 1,
        (short?)o.Progress?.Percent, o.Progress?.Stage, o.Progress?.Done, o.Progress?.Total);
}
