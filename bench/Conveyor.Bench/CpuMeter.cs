using System.Globalization;

namespace Conveyor.Bench;

/// <summary>
/// Where a run's CPU went, from /proc (Linux): the whole machine's busy time, and the part of it spent by one PostgreSQL
/// cluster (its postmaster, its live processes, and the backends that have exited, which the postmaster reaps). With
/// the database and the workers on the same cores, a drain rate alone cannot say which side to make cheaper; the CPU per
/// job of each side can.
/// </summary>
internal sealed record CpuMeter(int? PostmasterPid)
{
    /// <summary>Linux's USER_HZ: /proc reports times in these ticks (100 on every mainstream kernel build).</summary>
    private const double TicksPerSecond = 100;

    /// <summary>A meter for the cluster whose data directory is <paramref name="dataDirectory"/> (null: machine only).</summary>
    public static CpuMeter For(string? dataDirectory)
    {
        var pidFile = dataDirectory is null ? null : Path.Combine(dataDirectory, "postmaster.pid");
        return new(pidFile is not null && File.Exists(pidFile) && int.TryParse(File.ReadLines(pidFile).First(), out var pid) ? pid : null);
    }

    /// <summary>CPU seconds so far: the machine's busy time, and the cluster's (null without a cluster or off Linux).</summary>
    public (double Machine, double? Server) Read()
    {
        if (!OperatingSystem.IsLinux())
            return (double.NaN, null);
        // cpu  user nice system idle iowait irq softirq steal ...: busy is everything but idle and iowait.
        var cpu = File.ReadLines("/proc/stat").First().Split(' ', StringSplitOptions.RemoveEmptyEntries).Skip(1).Select(long.Parse).ToArray();
        var busy = cpu.Sum() - cpu[3] - cpu[4];
        return (busy / TicksPerSecond, PostmasterPid is { } pid ? ClusterTicks(pid) / TicksPerSecond : null);
    }

    private static long ClusterTicks(int postmaster)
    {
        long ticks = 0;
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), out var pid))
                continue;
            string stat;
            try { stat = File.ReadAllText(Path.Combine(dir, "stat")); }
            catch (IOException) { continue; } // the process ended meanwhile
            catch (UnauthorizedAccessException) { continue; }
            // pid (comm) state ppid ... utime stime cutime cstime: comm may hold spaces, so fields count from its ')'.
            var f = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            var ppid = int.Parse(f[1], CultureInfo.InvariantCulture);
            if (pid == postmaster)
                ticks += long.Parse(f[11], CultureInfo.InvariantCulture) + long.Parse(f[12], CultureInfo.InvariantCulture)
                       + long.Parse(f[13], CultureInfo.InvariantCulture) + long.Parse(f[14], CultureInfo.InvariantCulture);
            else if (ppid == postmaster)
                ticks += long.Parse(f[11], CultureInfo.InvariantCulture) + long.Parse(f[12], CultureInfo.InvariantCulture);
        }
        return ticks;
    }
}
