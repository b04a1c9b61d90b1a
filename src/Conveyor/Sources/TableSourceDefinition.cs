namespace Conveyor.Sources;

/// <summary>
/// A table another system writes, turned into jobs (PostgreSQL): every <see cref="Interval"/>, one statement moves up to
/// <see cref="BatchSize"/> rows whose <see cref="StatusColumn"/> is <see cref="FromStatus"/> to <see cref="ToStatus"/> and
/// enqueues one <see cref="Kind"/> job per row, its args the row's <see cref="Columns"/>. The move and the jobs commit
/// together or not at all, so a process dying mid-way loses and doubles nothing.
/// </summary>
public sealed record TableSourceDefinition
{
    /// <summary>The source's name (letters, digits, . _ : -).</summary>
    public required string Name { get; init; }

    /// <summary>The table: <c>uploaded_files</c> or <c>public.uploaded_files</c> (plain identifiers; quoted in the SQL).</summary>
    public required string Table { get; init; }

    /// <summary>The column that orders and identifies rows. Default <c>id</c>.</summary>
    public string KeyColumn { get; init; } = "id";

    /// <summary>The column whose value marks a row as waiting (text, varchar or an enum).</summary>
    public required string StatusColumn { get; init; }

    /// <summary>The status of rows to take.</summary>
    public required string FromStatus { get; init; }

    /// <summary>The status a taken row is given, in the same statement that enqueues its job.</summary>
    public required string ToStatus { get; init; }

    /// <summary>The job kind enqueued per row.</summary>
    public required string Kind { get; init; }

    /// <summary>The row's columns given as the job's args, by name (default: the key column only).</summary>
    public IReadOnlyList<string>? Columns { get; init; }

    /// <summary>The jobs' queue. Default "default".</summary>
    public string Queue { get; init; } = "default";

    /// <summary>The jobs' priority (-1000 to 1000).</summary>
    public int Priority { get; init; }

    /// <summary>The jobs' attempt budget (default: the kind's, else the worker's default).</summary>
    public int? MaxAttempts { get; init; }

    /// <summary>How often each process looks (1 s to 1 day). Default 5 s. A full batch is followed by another at once.</summary>
    public TimeSpan Interval { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>At most this many rows per statement (1 to 10,000). Default 100.</summary>
    public int BatchSize { get; init; } = 100;

    /// <summary>The columns that become args: <see cref="Columns"/>, or the key column.</summary>
    [System.Text.Json.Serialization.JsonIgnore]
    public IReadOnlyList<string> ArgsColumns => Columns is { Count: > 0 } columns ? columns : [KeyColumn];
}

/// <summary>A table source as stored, with what it has done.</summary>
/// <param name="Definition">The source.</param>
/// <param name="LastPolledAt">When a process last ran it.</param>
/// <param name="LastMoved">Rows that run moved.</param>
/// <param name="TotalMoved">Rows moved since it was created.</param>
public sealed record TableSourceInfo(TableSourceDefinition Definition, DateTimeOffset? LastPolledAt, int LastMoved, long TotalMoved);
