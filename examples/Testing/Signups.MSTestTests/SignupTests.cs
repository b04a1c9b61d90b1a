using Conveyor.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.VisualStudio.TestTools.UnitTesting;

[assembly: Parallelize(Scope = ExecutionScope.MethodLevel)]

namespace Signups.MSTestTests;

[TestClass]
public sealed class SignupTests
{
    [TestMethod]
    public async Task Inline_signup_sends_the_welcome_email()
    {
        var email = new RecordingEmailSender();
        await using var conveyor = await TestConveyor.StartAsync(o => o.AddSignupJobs(), s => s.AddSingleton<IEmailSender>(email), k => k.Mode = TestMode.Inline);

        await conveyor.Client.EnqueueAsync(new SignUp("ada@example.com", "Ada"));

        CollectionAssert.AreEqual(new[] { ("ada@example.com", "welcome") }, email.Sent.ToArray());
    }

    [TestMethod]
    public async Task The_reminder_waits_three_days()
    {
        var email = new RecordingEmailSender();
        await using var conveyor = await TestConveyor.StartAsync(o => o.AddSignupJobs(), s => s.AddSingleton<IEmailSender>(email));
        await conveyor.Client.EnqueueAsync(new SignUp("grace@example.com", "Grace"));
        await conveyor.DrainAsync();

        await conveyor.AdvanceAsync(TimeSpan.FromDays(3) - TimeSpan.FromSeconds(1));
        await conveyor.DrainAsync();
        Assert.AreEqual(1, email.Sent.Count);

        await conveyor.AdvanceAsync(TimeSpan.FromSeconds(1));
        await conveyor.DrainAsync();
        Assert.AreEqual(("grace@example.com", "reminder"), email.Sent[1]);
    }
}
