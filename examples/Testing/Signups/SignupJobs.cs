using Conveyor;

namespace Signups;

/// <summary>A user signed up.</summary>
public sealed record SignUp(string Email, string Name);

/// <summary>An email to send.</summary>
public sealed record SendEmail(string To, string Template);

/// <summary>Sends email (the application's real sender, a fake in tests).</summary>
public interface IEmailSender
{
    Task SendAsync(string to, string template, CancellationToken ct);
}

/// <summary>Welcomes the user now and reminds them in three days.</summary>
public sealed class SignUpHandler(IJobClient jobs) : IJobHandler<SignUp>
{
    public async Task<JobResult> HandleAsync(JobContext<SignUp> job, CancellationToken ct)
    {
        await job.ReportProgressAsync(null, "welcome", done: 1, total: 2);
        await jobs.EnqueueAsync(new SendEmail(job.Args.Email, "welcome"), ct: ct);
        await job.ReportProgressAsync(null, "reminder", done: 2, total: 2);
        await jobs.EnqueueAsync(new SendEmail(job.Args.Email, "reminder"), new EnqueueOptions { Delay = TimeSpan.FromDays(3) }, ct);
        return JobResult.Completed(new { emails = 2 });
    }
}

/// <summary>Sends one email; a failing sender is retried with back-off.</summary>
public sealed class SendEmailHandler(IEmailSender sender) : IJobHandler<SendEmail>
{
    public async Task<JobResult> HandleAsync(JobContext<SendEmail> job, CancellationToken ct)
    {
        await sender.SendAsync(job.Args.To, job.Args.Template, ct);
        return JobResult.Completed();
    }
}

/// <summary>How the application registers its jobs (the same call in production and in tests).</summary>
public static class SignupJobs
{
    public static ConveyorOptions AddSignupJobs(this ConveyorOptions options) => options
        .AddHandler<SignUp, SignUpHandler>("users.sign-up")
        .AddHandler<SendEmail, SendEmailHandler>("email.send", k => k.MaxAttempts = 5);
}
