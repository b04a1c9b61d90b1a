using System.Data.Common;
using System.Text.Json;
using Conveyor.Storage;
using Npgsql;

namespace Conveyor.Postgres;

internal sealed partial class PostgresDialect
{
    /// <summary>
    /// job_apply_outcomes.sql's outcomes as one typed array per field, sent in PostgreSQL's binary format: the server
    /// reads them without parsing a JSON document (the figure that decided it is in the SQL file).
    /// </summary>
    public override void BindOutcomes(DbCommand command, IReadOnlyList<AttemptOutcome> outcomes)
    {
        var parameters = ((NpgsqlCommand)command).Parameters;
        void Add<T>(string name, Func<AttemptOutcome, T> field) => parameters.Add(new NpgsqlParameter<T[]>(name, [.. outcomes.Select(field)]));
        Add("id", o => o.Id);
        Add("attempt", o => o.Attempt);
        Add("worker", o => o.WorkerId);
        Add("state", o => o.State.ToName());
        Add("result", o => o.Result);
        Add("error", o => o.Error is null ? null : JsonSerializer.Serialize(o.Error, ConveyorJson.Options));
        Add("delay", o => o.Delay?.TotalSeconds);
        Add("refund", o => o.RefundAttempt ? 1 : 0);
        Add("rescue", o => o.RequireExpiredLease ? 1 : 0);
        Add("has_progress", o => o.Progress is null ? 0 : 1);
        Add("progress", o => (short?)o.Progress?.Percent);
        Add("progress_stage", o => o.Progress?.Stage);
        Add("progress_done", o => o.Progress?.Done);
        Add("progress_total", o => o.Progress?.Total);
    }
}
