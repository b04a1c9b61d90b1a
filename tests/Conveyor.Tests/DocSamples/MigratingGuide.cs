using Conveyor.Testing;
using Xunit;

namespace Conveyor.Tests.DocSamples;

// docs/migrating.md's Conveyor side of the Hangfire comparison, compiled and run.

public sealed record SendWelcome(long UserId);

public sealed record ExportReport(string Month);

public sealed record EmailReport(string Month);

public sealed class NoopHandler<T> : IJobHandler<T>
{
    public Task<JobResult> HandleAsync(JobContext<T> job, CancellationToken ct) => Task.FromResult(JobResult.Completed());
}

public sealed class MigratingGuideTests
{
    [Fact]
    public async Task The_hangfire_equivalents_enqueue_delay_recur_and_continue()
    {
        await using var conveyor = await TestConveyor.StartAsync(o => o
            // sample: registration
            .AddHandler<SendWelcome, NoopHandler<SendWelcome>>("users.send-welcome", k => k.MaxAttempts = 5)   // [AutomaticRetry(Attempts = 5)]
            .AddHandler<ExportReport, NoopHandler<ExportReport>>("reports.export")
            .AddHandler<EmailReport, NoopHandler<EmailReport>>("reports.email")
            .AddSchedule("nightly-export", "0 3 * * *", "reports.export", s => s with { Args = """{"month":"current"}""" })   // RecurringJob.AddOrUpdate
            // end sample
            );
        var jobs = conveyor.Client;
        var user = new { Id = 7L };
        var month = "2030-01";

        // sample: enqueue
        await jobs.EnqueueAsync(new SendWelcome(user.Id));                                            // BackgroundJob.Enqueue
        await jobs.EnqueueAsync(new SendWelcome(user.Id), new EnqueueOptions { Delay = TimeSpan.FromDays(1) });   // BackgroundJob.Schedule
        var (export, _) = await jobs.EnqueueAsync(new ExportReport(month));
        await jobs.EnqueueAsync(new EmailReport(month), new EnqueueOptions { DependsOn = [export] });  // BackgroundJob.ContinueJobWith
        // end sample

        Assert.Equal(3, (await conveyor.DrainAsync()).Completed);    // welcome, export, then the email it released
        conveyor.AssertEnqueued<EmailReport>(r => r.Month == month);
        await conveyor.AdvanceAsync(TimeSpan.FromDays(1));            // the delayed welcome is due, and 03:00 ticked
        Assert.Equal(2, (await conveyor.DrainAsync()).Completed);
        Assert.Equal(2, conveyor.Enqueued<ExportReport>().Count);
        Assert.Equal(5, conveyor.Enqueued<SendWelcome>()[0].Job.MaxAttempts);
    }
}
