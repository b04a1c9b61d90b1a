using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text;

namespace Conveyor.TestSupport;

/// <summary>A program started by a test: output captured, killed on dispose so that no test leaves one running.</summary>
public sealed class ChildProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly ConcurrentQueue<string> _lines = new();
    private readonly StringBuilder _stdout = new();
    private readonly Lock _gate = new();

    private ChildProcess(Process process) => _process = process;

    public static ChildProcess Start(string fileName, IEnumerable<string> args, IDictionary<string, string>? env = null, string? workingDirectory = null)
    {
        var info = new ProcessStartInfo(fileName)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
            WorkingDirectory = workingDirectory ?? Environment.CurrentDirectory,
        };
        foreach (var arg in args)
            info.ArgumentList.Add(arg);
        foreach (var name in info.Environment.Keys.Where(k => k.StartsWith("CONVEYOR_", StringComparison.Ordinal) && k != "CONVEYOR_TEST_POSTGRES").ToList())
            info.Environment.Remove(name);
        info.Environment.Remove("DATABASE_URL");
        foreach (var (key, value) in env ?? new Dictionary<string, string>())
            info.Environment[key] = value;
        var process = new Process { StartInfo = info, EnableRaisingEvents = true };
        var child = new ChildProcess(process);
        process.OutputDataReceived += (_, e) => child.Add(e.Data, stdout: true);
        process.ErrorDataReceived += (_, e) => child.Add(e.Data, stdout: false);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return child;
    }

    /// <summary>Runs the CLI (<c>dotnet Conveyor.Cli.dll args</c>).</summary>
    public static ChildProcess Cli(IEnumerable<string> args, IDictionary<string, string>? env = null, string? workingDirectory = null) =>
        Start("dotnet", [RepoPaths.CliDll, .. args], env, workingDirectory);

    /// <summary>Runs the CLI to completion: exit code, stdout, and everything (stdout and stderr) it printed.</summary>
    public static Task<(int ExitCode, string Stdout, string All)> RunCliAsync(IEnumerable<string> args, TimeSpan? timeout = null, IDictionary<string, string>? env = null, string? workingDirectory = null) =>
        RunAsync("dotnet", [RepoPaths.CliDll, .. args], timeout, env, workingDirectory);

    /// <summary>Runs a program to completion: exit code, stdout, and everything (stdout and stderr) it printed.</summary>
    public static async Task<(int ExitCode, string Stdout, string All)> RunAsync(string fileName, IEnumerable<string> args, TimeSpan? timeout = null, IDictionary<string, string>? env = null, string? workingDirectory = null)
    {
        await using var child = Start(fileName, args, env, workingDirectory);
        var code = await child.WaitForExitAsync(timeout ?? TimeSpan.FromSeconds(60));
        return (code, child.Stdout, child.Output);
    }

    /// <summary>The worker protocol's checker (clients/conformance) against a server: exit code and its report.</summary>
    public static async Task<(int ExitCode, string Report)> CheckWorkerProtocolAsync(string url, params string[] options)
    {
        var (code, _, all) = await RunAsync("python3", [Path.Combine(RepoPaths.Root, "clients", "conformance", "worker_protocol_check.py"), url, .. options], TimeSpan.FromMinutes(3));
        return (code, all);
    }

    private void Add(string? line, bool stdout)
    {
        if (line is null)
            return;
        _lines.Enqueue(line);
        if (stdout)
        {
            lock (_gate) _stdout.AppendLine(line);
        }
    }

    public int Id => _process.Id;
    public bool HasExited => _process.HasExited;
    public string Output => string.Join('\n', _lines);

    public string Stdout
    {
        get { lock (_gate) return _stdout.ToString(); }
    }

    public async Task WaitForOutputAsync(string text, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (!_lines.Any(l => l.Contains(text, StringComparison.Ordinal)))
        {
            if (_process.HasExited)
                throw new InvalidOperationException($"Process exited ({_process.ExitCode}) before printing '{text}':\n{Output}");
            if (DateTime.UtcNow > deadline)
                throw new TimeoutException($"No '{text}' within {timeout}:\n{Output}");
            await Task.Delay(50);
        }
    }

    public async Task<int> WaitForExitAsync(TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            await _process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            Kill();
            throw new TimeoutException($"Process did not exit within {timeout}:\n{Output}");
        }
        _process.WaitForExit();
        return _process.ExitCode;
    }

    /// <summary>Sends a POSIX signal (SIGTERM 15, SIGINT 2, SIGKILL 9, SIGSTOP 19, SIGCONT 18).</summary>
    public void Signal(int signal)
    {
        if (!_process.HasExited)
            _ = Posix.kill(_process.Id, signal);
    }

    public void Kill()
    {
        try
        {
            if (!_process.HasExited)
                _process.Kill(entireProcessTree: true);
        }
        catch (InvalidOperationException)
        {
        }
    }

    public async ValueTask DisposeAsync()
    {
        Kill();
        try
        {
            await _process.WaitForExitAsync(new CancellationTokenSource(TimeSpan.FromSeconds(10)).Token);
        }
        catch (OperationCanceledException)
        {
        }
        _process.Dispose();
    }

    private static class Posix
    {
        [System.Runtime.InteropServices.DllImport("libc", SetLastError = true)]
        public static extern int kill(int pid, int sig);
    }
}
