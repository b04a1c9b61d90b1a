using System.Diagnostics;

namespace Conveyor.TestSupport;

/// <summary>
/// A real PostgreSQL for tests: CONVEYOR_TEST_POSTGRES when set, otherwise a throwaway server started from
/// the installed binaries (initdb, pg_ctl) in a temporary directory on a free 127.0.0.1 port, as the
/// postgres OS user when running as root (PostgreSQL refuses root). One per test process, stopped at exit.
/// </summary>
public sealed class PostgresServer
{
    private static readonly Lazy<Task<PostgresServer>> Shared = new(() => StartNewAsync());

    private PostgresServer(string connectionString, string? dataDirectory, int port, Func<string, string[], Task<string>>? run)
    {
        ConnectionString = connectionString;
        DataDirectory = dataDirectory;
        Port = port;
        _run = run;
    }

    private readonly Func<string, string[], Task<string>>? _run;

    /// <summary>Admin connection string to the server's "postgres" database.</summary>
    public string ConnectionString { get; }

    /// <summary>Null when the server is an external one (CONVEYOR_TEST_POSTGRES).</summary>
    public string? DataDirectory { get; }

    public int Port { get; }

    public bool IsOwned => DataDirectory is not null;

    public static Task<PostgresServer> GetAsync() => Shared.Value;

    /// <summary>Why PostgreSQL tests cannot run here, or null when they can. Under CI they always must.</summary>
    public static string? UnavailableReason
    {
        get
        {
            if (Environment.GetEnvironmentVariable("CONVEYOR_TEST_POSTGRES") is { Length: > 0 })
                return null;
            if (FindBinary("initdb") is null || FindBinary("pg_ctl") is null)
            {
                return Environment.GetEnvironmentVariable("CI") == "true"
                    ? null // fail loudly in CI rather than skip
                    : "PostgreSQL tests skipped: no initdb/pg_ctl found (install postgresql-15) and CONVEYOR_TEST_POSTGRES is not set.";
            }
            return null;
        }
    }

    /// <summary>A connection string to a fresh, empty database on this server.</summary>
    public async Task<string> CreateDatabaseAsync(string prefix = "t")
    {
        var name = $"{prefix}_{Guid.NewGuid():N}"[..Math.Min(40, prefix.Length + 33)];
        await using var connection = new Npgsql.NpgsqlConnection(ConnectionString);
        await connection.OpenAsync();
        await using (var command = new Npgsql.NpgsqlCommand($"CREATE DATABASE \"{name}\"", connection))
            await command.ExecuteNonQueryAsync();
        return new Npgsql.NpgsqlConnectionStringBuilder(ConnectionString) { Database = name }.ConnectionString;
    }

    /// <summary>Stops an owned server for good.</summary>
    public async Task StopAsync()
    {
        if (_run is not null && DataDirectory is not null)
            await _run("pg_ctl", ["-D", DataDirectory, "-m", "immediate", "-w", "stop"]);
    }

    /// <summary>Stops the owned server (fast mode) and starts it again on the same port: a server restart.</summary>
    public async Task RestartAsync(TimeSpan downtime)
    {
        if (_run is null || DataDirectory is null)
            throw new InvalidOperationException("Only a server this process started can be restarted.");
        await _run("pg_ctl", ["-D", DataDirectory, "-m", "fast", "-w", "stop"]);
        await Task.Delay(downtime);
        await _run("pg_ctl", ["-D", DataDirectory, "-l", Path.Combine(DataDirectory, "server.log"), "-w", "start"]);
    }

    /// <summary>A server of its own (not shared with other tests), for tests that stop and restart it.</summary>
    /// <param name="allowExternal">False: always start a local server (a test that restarts it must own it).</param>
    /// <param name="durable">
    /// True: initdb's defaults (fsync, synchronous_commit and full_page_writes on), as every production server runs: for
    /// benchmark figures. False (tests): fsync and synchronous commits off, which hides the cost of a commit.
    /// </param>
    public static async Task<PostgresServer> StartNewAsync(bool allowExternal = true, bool durable = false)
    {
        if (allowExternal && Environment.GetEnvironmentVariable("CONVEYOR_TEST_POSTGRES") is { Length: > 0 } external)
            return new PostgresServer(external, null, 0, null);

        var initdb = FindBinary("initdb") ?? throw new InvalidOperationException("PostgreSQL binaries (initdb, pg_ctl) not found; install postgresql-15 or set CONVEYOR_TEST_POSTGRES.");
        var binDir = Path.GetDirectoryName(initdb)!;
        var asRoot = Environment.UserName == "root" || geteuid() == 0;
        var dir = Path.Combine(Path.GetTempPath(), $"conveyor-pg-{Guid.NewGuid():N}");
        Directory.CreateDirectory(dir);
        var data = Path.Combine(dir, "data");
        if (asRoot)
            await RunAsync("chown", ["-R", "postgres:postgres", dir], asUser: null);

        Task<string> Run(string tool, string[] args) => RunAsync(Path.Combine(binDir, tool), args, asRoot ? "postgres" : null);

        await Run("initdb", ["-D", data, "-U", "postgres", "-A", "trust", "-E", "UTF8", .. durable ? Array.Empty<string>() : ["--no-sync"]]);
        var port = FreePort.Next();
        var conf = durable
            ? "max_connections = 300"
            : """
              fsync = off
              synchronous_commit = off
              full_page_writes = off
              max_connections = 300
              shared_buffers = 256MB
              """;
        await File.AppendAllTextAsync(Path.Combine(data, "postgresql.conf"), $"""

            port = {port}
            listen_addresses = '127.0.0.1'
            unix_socket_directories = '{dir}'
            {conf}
            """);
        await Run("pg_ctl", ["-D", data, "-l", Path.Combine(data, "server.log"), "-w", "start"]);
        var server = new PostgresServer($"Host=127.0.0.1;Port={port};Username=postgres;Database=postgres;Pooling=true;Maximum Pool Size=40;Timeout=10", data, port, Run);
        AppDomain.CurrentDomain.ProcessExit += (_, _) =>
        {
            try
            {
                Run("pg_ctl", ["-D", data, "-m", "immediate", "-w", "stop"]).Wait(TimeSpan.FromSeconds(20));
                Directory.Delete(dir, recursive: true);
            }
            catch (Exception)
            {
                // Best effort at exit; the directory is in /tmp.
            }
        };
        return server;
    }

    private static async Task<string> RunAsync(string file, string[] args, string? asUser)
    {
        var info = asUser is null ? new ProcessStartInfo(file) : new ProcessStartInfo("runuser");
        if (asUser is not null)
        {
            foreach (var a in new[] { "-u", asUser, "--", file })
                info.ArgumentList.Add(a);
        }
        foreach (var a in args)
            info.ArgumentList.Add(a);
        info.RedirectStandardOutput = true;
        info.RedirectStandardError = true;
        info.WorkingDirectory = Path.GetTempPath();
        using var process = Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        var output = await stdout + await stderr;
        if (process.ExitCode != 0)
            throw new InvalidOperationException($"{file} {string.Join(' ', args)} failed ({process.ExitCode}):\n{output}");
        return output;
    }

    private static string? FindBinary(string name)
    {
        foreach (var dir in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries))
        {
            var candidate = Path.Combine(dir, name);
            if (File.Exists(candidate))
                return candidate;
        }
        const string debianRoot = "/usr/lib/postgresql";
        if (Directory.Exists(debianRoot))
        {
            foreach (var version in Directory.GetDirectories(debianRoot).OrderDescending())
            {
                var candidate = Path.Combine(version, "bin", name);
                if (File.Exists(candidate))
                    return candidate;
            }
        }
        return null;
    }

    [System.Runtime.InteropServices.DllImport("libc")]
    private static extern uint geteuid();
}
