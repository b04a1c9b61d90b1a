using System.Diagnostics;
using System.Text.Json;
using Conveyor.Storage;
using Conveyor.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace Conveyor.Bench;

/// <summary>
/// The memory scenario: a worker with --concurrency slots idles for 10 s (its working set then is the idle figure), then
/// drains --jobs no-op jobs fed in chunks of 10,000 while it runs (the backlog kept under 50,000, as a steady producer
/// would); the working set is sampled every 250 ms and reported at each tenth of the drain. Flat means the last tenth's
/// is within 10 % of the first's. One process holds both the worker and the feeding client.
/// </summary>
internal static class Memory
{
    private const int Chunk = 10_000, MaxBacklog = 50_000;

    public static async Task RunAsync(IConveyorStore store, BenchSettings settings)
    {
        var counter = new RunCounter { Target = settings.Jobs };
        await using var host = new ConveyorTestHost(store, o =>
        {
            o.Concurrency = settings.Concurrency;
            o.AddHandler<NoopArgs, NoopHandler>("bench.noop");
        }, s => s.AddSingleton(counter));
        await host.StartAsync();
        await Task.Delay(TimeSpan.FromSeconds(10));
        var idle = WorkingSetAfterCollect();
        Console.WriteLine($"memory {settings.Store}: idle with {settings.Concurrency} slots after 10 s: working set {idle:0.0} MiB (GC heap {GC.GetTotalMemory(false) / 1048576.0:0.0} MiB)");

        var samples = new List<(double Done, double WorkingSet)>();
        var clock = Stopwatch.StartNew();
        using var stop = new CancellationTokenSource(TimeSpan.FromMinutes(10));
        var sampler = Task.Run(async () =>
        {
            using var tick = new PeriodicTimer(TimeSpan.FromMilliseconds(250));
            while (!counter.Done.Task.IsCompleted && await tick.WaitForNextTickAsync(stop.Token))
                samples.Add((counter.Count / (double)settings.Jobs, WorkingSet()));
        });
        for (var fed = 0; fed < settings.Jobs; fed += Chunk)
        {
            while (fed - counter.Count > MaxBacklog)
                await Task.Delay(50, stop.Token);
            var n = Math.Min(Chunk, settings.Jobs - fed);
            await host.Client.EnqueueManyAsync([.. Enumerable.Range(0, n).Select(_ => new JobRequest("bench.noop", "{}"))], ct: stop.Token);
        }
        await counter.Done.Task.WaitAsync(stop.Token);
        var seconds = clock.Elapsed.TotalSeconds;
        await sampler;
        await host.StopAsync();

        var tenths = Enumerable.Range(1, 10).Select(t => samples.Where(s => s.Done <= t / 10.0).Select(s => s.WorkingSet).DefaultIfEmpty(double.NaN).Last()).ToArray();
        var growth = tenths[^1] / tenths[0] - 1;
        Console.WriteLine($"memory {settings.Store}: {settings.Jobs} jobs drained in {seconds:0.0} s ({settings.Jobs / seconds:0} jobs/s) with {settings.Concurrency} slots; " +
            $"working set at each tenth (MiB): {string.Join(" ", tenths.Select(w => w.ToString("0")))}; peak {samples.Max(s => s.WorkingSet):0} MiB; " +
            $"last tenth against the first: {growth:+0.0%;-0.0%}");
        Console.WriteLine(JsonSerializer.Serialize(new
        {
            scenario = "memory", store = settings.Store, jobs = settings.Jobs, concurrency = settings.Concurrency, idle_working_set_mib = Math.Round(idle, 1),
            working_set_tenths_mib = tenths.Select(w => Math.Round(w, 1)), peak_mib = Math.Round(samples.Max(s => s.WorkingSet), 1),
            growth = Math.Round(growth, 3), jobs_per_second = Math.Round(settings.Jobs / seconds),
        }));
    }

    private static double WorkingSetAfterCollect()
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
        return WorkingSet();
    }

    private static double WorkingSet()
    {
        using var process = Process.GetCurrentProcess();
        return process.WorkingSet64 / 1048576.0;
    }
}
