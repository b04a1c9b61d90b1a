using Conveyor;
using Conveyor.Testing;
using Microsoft.Extensions.DependencyInjection;
using Xunit;

namespace Signups.XunitTests;

public sealed class SignupTests
{
    private readonly RecordingEmailSender _email = new();

    private Task<TestConveyor> StartAsync(TestMode mode) =>
        TestConveyor.StartAsync(o => o.AddSignupJobs(), services => services.AddSingleton<IEmailSender>(_email), s => s.Mode = mode);

    [Fact]
    public async Task Inline_signup_sends_the_welcome_email_at_once_and_the_reminder_three_days_later()
    {
        await using var conveyor = await StartAsync(TestMode.Inline);

        await conveyor.Client.EnqueueAsync(new SignUp("ada@example.com", "Ada"));

        Assert.Equal([("ada@example.com", "welcome")], _email.Sent);
        var reminder = conveyor.AssertEnqueued<SendEmail>(e => e.Template == "reminder");
        Assert.Equal(conveyor.Now.AddDays(3), reminder.Job.RunAt);

        await conveyor.AdvanceAsync(TimeSpan.FromDays(3));
        Assert.Equal([("ada@example.com", "welcome"), ("ada@example.com", "reminder")], _email.Sent);
    }

    [Fact]
    public async Task Manual_mode_runs_nothing_until_the_test_drains()
    {
        await using var conveyor = await StartAsync(TestMode.Manual);

        await conveyor.Client.EnqueueAsync(new SignUp("grace@example.com", "Grace"));
        conveyor.AssertEnqueued<SignUp>(s => s.Email == "grace@example.com");
        conveyor.AssertNotEnqueued<SendEmail>();

        var drained = await conveyor.DrainAsync();   // the signup, then the welcome email it enqueued
        Assert.Equal(2, drained.Completed);
        Assert.Equal([("grace@example.com", "welcome")], _email.Sent);
    }

    [Fact]
    public async Task A_failed_send_is_retried_after_its_back_off()
    {
        _email.FailFirst = 1;
        await using var conveyor = await StartAsync(TestMode.Manual);
        var (id, _) = await conveyor.Client.EnqueueAsync(new SendEmail("linus@example.com", "welcome"));

        var failure = await Assert.ThrowsAsync<JobAttemptFailedException>(() => conveyor.DrainAsync());
        Assert.IsType<IOException>(failure.InnerException);

        await conveyor.AdvanceAsync(TimeSpan.FromMinutes(1));   // past the first back-off (about 1 s)
        await conveyor.DrainAsync();
        Assert.Equal(JobState.Completed, (await conveyor.Client.GetAsync(id))!.State);
        Assert.Equal([("linus@example.com", "welcome")], _email.Sent);
    }

    [Fact]
    public async Task The_signup_handler_reports_its_progress()
    {
        await using var conveyor = await StartAsync(TestMode.Manual);

        var run = await conveyor.RunJobAsync<SignUpHandler>(new SignUp("ken@example.com", "Ken"));

        Assert.True(run.Completed);
        Assert.Equal(["welcome", "reminder"], run.Progress.Select(p => p.Stage));
        Assert.Equal(2, conveyor.Enqueued<SendEmail>().Count);   // what the handler enqueued, not yet run
        Assert.Empty(_email.Sent);
    }

    /// <summary>The README's sample, line for line.</summary>
    [Fact]
    public async Task The_readme_sample()
    {
        var email = _email;
        // sample: readme
        await using var conveyor = await TestConveyor.StartAsync(o => o.AddSignupJobs(),
            services => services.AddSingleton<IEmailSender>(email), s => s.Mode = TestMode.Inline);
        await conveyor.Client.EnqueueAsync(new SignUp("ada@example.com", "Ada"));     // inline: ran before this returned
        conveyor.AssertEnqueued<SendEmail>(e => e.Template == "reminder");
        await conveyor.AdvanceAsync(TimeSpan.FromDays(3));                           // delays, retries, rescues, cron ticks
        var run = await conveyor.RunJobAsync<SignUpHandler>(new SignUp("ken@example.com", "Ken"));   // result + progress
        // end sample
        // What the handler run by RunJobAsync enqueues follows the mode: inline, Ken's welcome email went out at once.
        Assert.Equal([("ada@example.com", "welcome"), ("ada@example.com", "reminder"), ("ken@example.com", "welcome")], email.Sent);
        Assert.True(run.Completed);
        Assert.Equal(2, run.Progress.Count);
    }
}
