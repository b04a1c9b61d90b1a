namespace Conveyor.Cli;

/// <summary>The exit codes scripts rely on.</summary>
internal static class ExitCodes
{
    public const int Ok = 0;
    /// <summary>With --wait or --follow: the job ended failed or cancelled.</summary>
    public const int JobNotCompleted = 1;
    /// <summary>Bad usage or input: nothing was changed.</summary>
    public const int BadInput = 2;
    public const int StoreUnreachable = 3;
}
