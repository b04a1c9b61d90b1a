using Conveyor.Testing;
using Microsoft.Extensions.DependencyInjection;
using NUnit.Framework;

namespace Signups.NUnitTests;

public sealed class SignupTests
{
    [Test]
    public async Task Inline_signup_sends_the_welcome_email()
    {
        var email = new RecordingEmailSender();
        await using var conveyor = await TestConveyor.StartAsync(o => o.AddSignupJobs(), s => s.AddSingleton<IEmailSender>(email), k => k.Mode = TestMode.Inline);

        await conveyor.Client.EnqueueAsync(new SignUp("ada@example.com", "Ada"));

        Assert.That(email.Sent, Is.EqualTo(new[] { ("ada@example.com", "welcome") }));
    }

    [Test]
    public async Task Manual_mode_drains_the_signup_and_its_email()
    {
        var email = new RecordingEmailSender();
        await using var conveyor = await TestConveyor.StartAsync(o => o.AddSignupJobs(), s => s.AddSingleton<IEmailSender>(email));

        await conveyor.Client.EnqueueAsync(new SignUp("grace@example.com", "Grace"));
        Assert.That(email.Sent, Is.Empty);

        var drained = await conveyor.DrainAsync();
        Assert.That(drained.Completed, Is.EqualTo(2));
        Assert.That(conveyor.AssertEnqueued<SendEmail>(e => e.Template == "reminder").Args.To, Is.EqualTo("grace@example.com"));
    }
}
