using Conveyor.Sqlite;
using System.CommandLine;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Conveyor.Cli;

/// <summary>Flags shared by several commands, and how a command turns them into a configured Conveyor.</summary>
internal static class CommonOptions
{
    public static readonly Option<string?> Database = new("--database", "-d")
    {
        Description = "SQLite path or 'Data Source=...', or a PostgreSQL URL / key-value string (env CONVEYOR_DATABASE, DATABASE_URL; default ./conveyor.db)",
        Recursive = true,
    };

    public static readonly Option<bool> NoMigrate = new("--no-migrate")
    {
        Description = "Do not create or upgrade the schema (a DBA owns it)",
        Recursive = true,
    };

    public static readonly Option<bool> NoListen = new("--no-listen")
    {
        Description = "PostgreSQL: poll only, no LISTEN connection (behind a pooler in transaction mode) (env CONVEYOR_NO_LISTEN)",
        Recursive = true,
    };

    public static readonly Option<string?> Schema = new("--schema")
    {
        Description = "PostgreSQL schema (env CONVEYOR_SCHEMA; default conveyor)",
        Recursive = true,
    };

    public static readonly Option<string?> MaxArgsBytes = new("--max-args-bytes")
    {
        Description = "Largest accepted args JSON in bytes (env CONVEYOR_MAX_ARGS_BYTES; default 1048576)",
        Recursive = true,
    };

    public static readonly Option<bool> Json = new("--json") { Description = "Print one JSON document on stdout and nothing else" };

    public static readonly Option<string[]> Handlers = new("--handlers")
    {
        Description = "Assemblies whose [JobKind] handlers this process registers (repeatable)",
        AllowMultipleArgumentsPerToken = true,
        Recursive = true,
    };

    public static readonly Option<bool> StrictKinds = new("--strict-kinds")
    {
        Description = "Refuse enqueues of kinds no handler in this process knows",
        Recursive = true,
    };

    /// <summary>
    /// Store, migration and kinds as the flags say (flag, then environment, then appsettings), workers off (client
    /// commands). Every value is read and every handler assembly loaded once, here; the returned step only applies them.
    /// </summary>
    /// <param name="createsDatabase">
    /// True for the commands that may create a SQLite file that does not exist yet (serve, work, migrate, enqueue); the
    /// others refuse a missing file (exit 3, naming it), so that a typo in the path is not answered with an empty database.
    /// </param>
    public static Action<ConveyorOptions> ClientSetup(ParseResult parse, CliSettings settings, bool createsDatabase = false)
    {
        var database = settings.Database(parse.GetValue(Database));
        if (!createsDatabase)
            RequireExistingSqliteFile(database);
        var listen = !settings.Bool(parse.GetValue(NoListen), "no-listen");
        var schema = settings.Get(parse.GetValue(Schema), "schema");
        var autoMigrate = !settings.Bool(parse.GetValue(NoMigrate), "no-migrate");
        var strictKinds = settings.Bool(parse.GetValue(StrictKinds), "strict-kinds");
        var maxArgs = settings.Int(parse.GetValue(MaxArgsBytes), "max-args-bytes");
        var handlers = HandlerAssemblies.Load(parse.GetValue(Handlers) is { Length: > 0 } flagged
            ? flagged
            : settings.Get(null, "handlers")?.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries) ?? []);
        return o =>
        {
            o.UseDatabase(database, listen, schema);
            o.AutoMigrate = autoMigrate;
            o.StrictKinds = strictKinds;
            o.RunWorkers = false;
            if (maxArgs is { } max)
                o.MaxArgsBytes = max;
            o.AddDemoHandlers();
            foreach (var register in handlers)
                register(o);
        };
    }

    private static void RequireExistingSqliteFile(string database)
    {
        if (StoreSelection.IsPostgres(database))
            return;
        var builder = SqliteStore.ParseConnectionString(database);
        var path = builder.DataSource;
        if (path.Length == 0 || path == ":memory:" || builder.Mode == Microsoft.Data.Sqlite.SqliteOpenMode.Memory || File.Exists(path))
            return;
        throw new Storage.StoreUnavailableException(
            $"no SQLite database at {Path.GetFullPath(path)} (check --database or CONVEYOR_DATABASE; serve, work, migrate and enqueue create one).");
    }

    /// <summary>
    /// Applies <paramref name="setup"/> to a fresh options object and checks it, so that bad input exits 2 with one clear
    /// line before any host exists; returns the checked options (the host builds its own from the same setup).
    /// </summary>
    public static ConveyorOptions Validate(Action<ConveyorOptions> setup)
    {
        var probe = new ConveyorOptions();
        setup(probe);
        if (ConveyorOptionsValidator.Check(probe) is { Count: > 0 } failures)
            throw new JobValidationException(failures[0]);
        return probe;
    }

    /// <summary>
    /// A command whose action builds a client over the configured store and hands <paramref name="body"/> one of its
    /// services; <paramref name="symbols"/> are its arguments, options and subcommands.
    /// </summary>
    public static Command ClientCommand<TService>(string name, string description, CliSettings settings,
        Func<ParseResult, TService, CancellationToken, Task<int>> body, params Symbol[] symbols) where TService : notnull
    {
        var command = new Command(name, description);
        foreach (var symbol in symbols)
        {
            switch (symbol)
            {
                case Argument argument: command.Add(argument); break;
                case Option option: command.Add(option); break;
                case Command subcommand: command.Add(subcommand); break;
            }
        }
        command.SetAction((parse, ct) => CliApp.Guard(async () =>
        {
            await using var services = BuildClient(parse, settings);
            return await body(parse, services.GetRequiredService<TService>(), ct);
        }));
        return command;
    }

    /// <summary>A client over the configured store, for one command.</summary>
    public static ServiceProvider BuildClient(ParseResult parse, CliSettings settings, bool createsDatabase = false)
    {
        var setup = ClientSetup(parse, settings, createsDatabase);
        Validate(setup);
        var services = new ServiceCollection();
        services.AddLogging(l => l.AddConsole(c => c.LogToStandardErrorThreshold = LogLevel.Trace).SetMinimumLevel(LogLevel.Warning));
        services.AddConveyor(setup);
        return services.BuildServiceProvider();
    }
}
