using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Xunit;

namespace Conveyor.Tests.DocSamples;

// The README's "Use it from C#" section, compiled and run: its blocks are these regions, line for line.

public interface IImageStore
{
    Task<byte[]> LoadAsync(string path, CancellationToken ct);
    Task<string> ResizeAsync(byte[] bytes, int width, CancellationToken ct);
}

// sample: resize-image-handler
public sealed record ResizeImage(string Path, int Width);

public sealed class ResizeImageHandler(IImageStore images) : IJobHandler<ResizeImage>
{
    public async Task<JobResult> HandleAsync(JobContext<ResizeImage> job, CancellationToken ct)
    {
        await job.ReportProgressAsync(10, "loading");
        var bytes = await images.LoadAsync(job.Args.Path, ct);
        await job.ReportProgressAsync(null, "resizing", done: 1, total: 2);
        var path = await images.ResizeAsync(bytes, job.Args.Width, ct);
        return JobResult.Completed(new { path });      // stored as JSON
    }
}
// end sample

/// <summary>Runs alone: the sample's relative database path needs this process's current directory for a moment.</summary>
[CollectionDefinition(nameof(CurrentDirectory), DisableParallelization = true)]
public sealed class CurrentDirectory;

[Collection(nameof(CurrentDirectory))]
public sealed class UseItFromCSharpTests
{
    private sealed class FakeImages : IImageStore
    {
        public Task<byte[]> LoadAsync(string path, CancellationToken ct) => Task.FromResult(new byte[] { 1, 2, 3 });
        public Task<string> ResizeAsync(byte[] bytes, int width, CancellationToken ct) => Task.FromResult($"out/{width}/{bytes.Length}.png");
    }

    [Fact]
    public async Task The_readme_sample_registers_enqueues_and_waits_for_a_job()
    {
        var directory = Directory.CreateTempSubdirectory("conveyor-readme-");
        var previous = Environment.CurrentDirectory;
        Environment.CurrentDirectory = directory.FullName; // the sample's relative "jobs.db" lands here
        try
        {
            var builder = Host.CreateApplicationBuilder();
            builder.Services.AddSingleton<IImageStore, FakeImages>();
            // sample: resize-image-setup
            builder.Services.AddConveyor(o => o
                .UseSqlite("Data Source=jobs.db")              // or .UsePostgres("postgres://app:pw@db/app")
                .AddHandler<ResizeImage, ResizeImageHandler>("resize-image", k => k.MaxAttempts = 5));
            // end sample
            builder.Services.Configure<ConveyorOptions>(o => o.PollInterval = TimeSpan.FromMilliseconds(100));
            using var host = builder.Build();
            await host.StartAsync();
            var jobs = host.Services.GetRequiredService<IJobClient>();

            // sample: resize-image-enqueue
            var (id, _) = await jobs.EnqueueAsync(new ResizeImage("in/cat.png", 640));   // IJobClient jobs
            var job = await jobs.WaitAsync(id, TimeSpan.FromMinutes(1));                  // or GetAsync, CancelAsync, RetryAsync
            // end sample

            Assert.Equal(JobState.Completed, job.State);
            Assert.Equal("out/640/3.png", job.Result!.Value.GetProperty("path").GetString());
            Assert.Equal(5, job.MaxAttempts);
            await host.StopAsync();
        }
        finally
        {
            Environment.CurrentDirectory = previous;
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            directory.Delete(recursive: true);
        }
    }
}
