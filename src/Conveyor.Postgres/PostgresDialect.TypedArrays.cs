using System.Data.Common;
using Conveyor.Storage;
using Conveyor.Storage.Relational;
using Npgsql;

namespace Conveyor.Postgres;

// Batches bound as one typed array per column, which the statements walk in step with unnest.
internal sealed partial class PostgresDialect
{
    /// <summary>job_heartbeat.sql's leases as two typed arrays, ids and attempts, walked in step by unnest.</summary>
    public override void BindLeases(DbCommand command, IReadOnlyList<JobLease> leases)
    {
        var parameters = ((NpgsqlCommand)command).Parameters;
        parameters.Add(new NpgsqlParameter<long[]>("ids", [.. leases.Select(l => l.Id)]));
        parameters.Add(new NpgsqlParameter<int[]>("attempts", [.. leases.Select(l => l.Attempt)]));
    }

    /// <summary>
    /// job_apply_outcomes.sql's outcomes as one typed array per column (<see cref="OutcomeRow"/>), sent in PostgreSQL's
    /// binary format: the server reads them without parsing a JSON document (the figure that decided it is in the SQL file).
    /// </summary>
    public override void BindOutcomes(DbCommand command, IReadOnlyList<AttemptOutcome> outcomes)
    {
        var rows = outcomes.Select(OutcomeRow.From).ToArray();
        var parameters = ((NpgsqlCommand)command).Parameters;
        void Add<T>(string name, Func<OutcomeRow, T> column) => parameters.Add(new NpgsqlParameter<T[]>(name, [.. rows.Select(column)]));
        Add("id", o => o.Id);
        Add("attempt", o => o.Attempt);
        Add("worker", o => o.Worker);
        Add("state", o => o.State);
        Add("result", o => o.Result);
        Add("error", o => o.Error);
        Add("delay", o => o.Delay);
        Add("refund", o => o.Refund);
        Add("rescue", o => o.Rescue);
        Add("has_progress", o => o.HasProgress);
        Add("progress", o => o.Progress);
        Add("progress_stage", o => o.ProgressStage);
        Add("progress_done", o => o.ProgressDone);
        Add("progress_total", o => o.ProgressTotal);
    }
}
