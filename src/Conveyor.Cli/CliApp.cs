using System.CommandLine;
using System.Data.Common;
using System.Net.Sockets;
using Conveyor.Cli.Commands;
using Conveyor.Storage;

namespace Conveyor.Cli;

/// <summary>The conveyor command line: a thin layer over the public API.</summary>
internal static class CliApp
{
    public static RootCommand Build(CliSettings settings)
    {
        var root = new RootCommand("Conveyor: durable background jobs for .NET")
        {
            CommonOptions.Database,
            CommonOptions.NoMigrate,
            CommonOptions.Handlers,
            CommonOptions.StrictKinds,
            CommonOptions.NoListen,
            CommonOptions.Schema,
            CommonOptions.MaxArgsBytes,
        };
        root.Add(HostCommands.Serve(settings));
        root.Add(HostCommands.Work(settings));
        root.Add(HostCommands.Drain(settings));
        root.Add(EnqueueCommand.Create(settings));
        root.Add(JobCommands.Status(settings));
        root.Add(JobCommands.Jobs(settings));
        root.Add(JobCommands.Cancel(settings));
        root.Add(JobCommands.Retry(settings));
        root.Add(JobCommands.Delete(settings));
        root.Add(JobCommands.Bulk(settings));
        root.Add(ScheduleCommands.Create(settings));
        root.Add(BatchCommands.Create(settings));
        root.Add(SourceCommands.Create(settings));
        root.Add(JobCommands.Queues(settings));
        root.Add(JobCommands.Migrate(settings));
        CliHelp.NameEnvironmentVariables(root);
        return root;
    }

    public static async Task<int> RunAsync(string[] args)
    {
        CliOutput.Configure();
        var settings = new CliSettings();
        var root = Build(settings);
        if (args.Length == 0)
        {
            // No command: the help, as a person typing `conveyor` wants; exit 2 for a script that forgot its command.
            await HelpAsync(root.Parse(["--help"]));
            return ExitCodes.BadInput;
        }
        // No response files: '@every 90s' is a schedule, not a file of arguments to read.
        var parse = root.Parse(args, new ParserConfiguration { ResponseFileTokenReplacer = null });
        if (parse.Errors.Count > 0)
        {
            foreach (var line in CliHelp.Explain(parse.Errors.Select(e => e.Message)))
                await Console.Error.WriteLineAsync("error: " + line);
            await Console.Error.WriteLineAsync("Run 'conveyor --help' for usage.");
            return ExitCodes.BadInput;
        }
        if (parse.Action is System.CommandLine.Help.HelpAction && parse.CommandResult.Command == root)
        {
            await HelpAsync(parse);
            return ExitCodes.Ok;
        }
        // No termination timeout: System.CommandLine would otherwise end the process 2 s after SIGTERM/SIGINT,
        // cutting short the worker's graceful shutdown (--shutdown-timeout, 30 s by default). The hosts of
        // serve and work handle the signals themselves.
        return await parse.InvokeAsync(new InvocationConfiguration { ProcessTerminationTimeout = null });
    }

    /// <summary>The root's help, followed by examples, the built-in kinds and the exit codes.</summary>
    private static async Task HelpAsync(ParseResult help)
    {
        await help.InvokeAsync();
        await Console.Out.WriteLineAsync(CliHelp.Epilogue.Trim());
    }

    /// <summary>Runs a command body, turning the errors users cause into clear messages and exit codes.</summary>
    public static async Task<int> Guard(Func<Task<int>> body)
    {
        try
        {
            return await body();
        }
        catch (JobValidationException ex)
        {
            await Console.Error.WriteLineAsync("error: " + ex.Message);
            return ExitCodes.BadInput;
        }
        catch (IOException ex) when (ex.InnerException is Microsoft.AspNetCore.Connections.AddressInUseException)
        {
            // Not the store: the --urls address is taken by another program.
            await Console.Error.WriteLineAsync($"error: cannot listen: {ex.Message} Choose another address with --urls.");
            return ExitCodes.BadInput;
        }
        catch (Exception ex) when (IsUnreachable(ex))
        {
            await Console.Error.WriteLineAsync("error: store unreachable: " + Innermost(ex).Message);
            return ExitCodes.StoreUnreachable;
        }
        catch (Exception ex) when (ex is ArgumentException or FormatException or StoreVersionException)
        {
            await Console.Error.WriteLineAsync("error: " + ex.Message);
            return ExitCodes.BadInput;
        }
        catch (OperationCanceledException)
        {
            await Console.Error.WriteLineAsync("cancelled");
            return 130;
        }
    }

    private static bool IsUnreachable(Exception ex) => ex switch
    {
        StoreUnavailableException => true,
        SocketException => true,
        TimeoutException t when t.InnerException is not null => IsUnreachable(t.InnerException),
        DbException db when db.InnerException is SocketException or TimeoutException or IOException => true,
        UnauthorizedAccessException or IOException => true,
        _ => ex.InnerException is not null && IsUnreachable(ex.InnerException),
    };

    private static Exception Innermost(Exception ex) => ex is StoreUnavailableException || ex.InnerException is null ? ex : Innermost(ex.InnerException);
}
