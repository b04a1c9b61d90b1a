namespace Conveyor.Scheduling;

/// <summary>Checks a schedule definition on every surface alike; throws <see cref="JobValidationException"/> naming what is wrong.</summary>
internal static class ScheduleValidation
{
    /// <summary>Name, cron, zone, kind, args and policies; returns the parsed times.</summary>
    public static ScheduleTimes Validate(ScheduleDefinition definition)
    {
        ArgumentNullException.ThrowIfNull(definition);
        JobValidation.ValidateNameText(definition.Name, "Schedule name");
        JobValidation.ValidateKind(definition.Kind);
        if (definition.Queue is not null)
            JobValidation.ValidateQueue(definition.Queue);
        JobValidation.ValidateArgs(definition.Args, int.MaxValue);
        if (definition.MaxAttempts is < 1)
            throw new JobValidationException($"Schedule '{definition.Name}': max attempts must be at least 1 (got {definition.MaxAttempts}).");
        if (definition.Jitter is { } jitter && (jitter < TimeSpan.Zero || jitter > TimeSpan.FromDays(1)))
            throw new JobValidationException($"Schedule '{definition.Name}': jitter must be between 0 and 1d.");
        return ScheduleTimes.Parse(definition.Cron, definition.TimeZone);
    }
}
