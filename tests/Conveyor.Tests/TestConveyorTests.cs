using Conveyor.Scheduling;
using Conveyor.Storage;
using Conveyor.Testing;
using Microsoft.Extensions.DependencyInjection;
using Xunit;

namespace Conveyor.Tests;

/// <summary>Conveyor.Testing as a user's test uses it: inline and manual modes, the clock, the assertions, single handler runs.</summary>
public sealed class TestConveyorTests
{
    public sealed record SendEmail(string To, string Subject);

    public sealed record Signup(string Email);

    public sealed record Flaky(string Name);

    public sealed record Tick;

    public sealed record Forever;

    /// <summary>Args that do not survive JSON: the property has no setter and no constructor parameter.</summary>
    public sealed class Lossy
    {
        private string _name = "unset";

        public string Name => _name;

        public static Lossy Named(string name) => new() { _name = name };
    }

    /// <summary>What the handlers did, per test (no static state).</summary>
    public sealed class Outbox
    {
        public List<string> Sent { get; } = [];
        public List<string> Seen { get; } = [];
        public int FlakyFailures { get; set; } = 1;
    }

    public sealed class SendEmailHandler(Outbox outbox) : IJobHandler<SendEmail>
    {
        public async Task<JobResult> HandleAsync(JobContext<SendEmail> job, CancellationToken ct)
        {
            await job.ReportProgressAsync(null, "rendering", done: 1, total: 2);
            await job.ReportProgressAsync(null, "sending", done: 2, total: 2);
            lock (outbox) outbox.Sent.Add($"{job.Args.To}: {job.Args.Subject}");
            return JobResult.Completed(new { delivered = job.Args.To });
        }
    }

    /// <summary>A signup sends a welcome email as a job of its own.</summary>
    public sealed class SignupHandler(IJobClient jobs) : IJobHandler<Signup>
    {
        public async Task<JobResult> HandleAsync(JobContext<Signup> job, CancellationToken ct)
        {
            await jobs.EnqueueAsync(new SendEmail(job.Args.Email, "Welcome"), ct: ct);
            return JobResult.Completed();
        }
    }

    public sealed class FlakyHandler(Outbox outbox) : IJobHandler<Flaky>
    {
        public Task<JobResult> HandleAsync(JobContext<Flaky> job, CancellationToken ct)
        {
            if (outbox.FlakyFailures-- > 0)
                throw new InvalidOperationException($"{job.Args.Name} is down");
            return Task.FromResult(JobResult.Completed());
        }
    }

    public sealed class TickHandler(Outbox outbox, TimeProvider time) : IJobHandler<Tick>
    {
        public Task<JobResult> HandleAsync(JobContext<Tick> job, CancellationToken ct)
        {
            lock (outbox) outbox.Seen.Add(time.GetUtcNow().ToString("HH:mm"));
            return Task.FromResult(JobResult.Completed());
        }
    }

    public sealed class LossyHandler(Outbox outbox) : IJobHandler<Lossy>
    {
        public Task<JobResult> HandleAsync(JobContext<Lossy> job, CancellationToken ct)
        {
            outbox.Seen.Add(job.Args.Name);
            return Task.FromResult(JobResult.Completed());
        }
    }

    public sealed class ForeverHandler(IJobClient jobs) : IJobHandler<Forever>
    {
        public async Task<JobResult> HandleAsync(JobContext<Forever> job, CancellationToken ct)
        {
            await jobs.EnqueueAsync(new Forever(), ct: ct);
            return JobResult.Completed();
        }
    }

    private static Task<TestConveyor> StartAsync(Outbox outbox, TestMode mode, Action<TestConveyorOptions>? settings = null) =>
        TestConveyor.StartAsync(
            o => o.AddHandler<SendEmail, SendEmailHandler>("email.send")
                .AddHandler<Signup, SignupHandler>("user.signup")
                .AddHandler<Flaky, FlakyHandler>("flaky", k => k.Backoff = new BackoffPolicy(TimeSpan.FromSeconds(30), 1, TimeSpan.FromSeconds(30), 0))
                .AddHandler<Tick, TickHandler>("tick")
                .AddHandler<Lossy, LossyHandler>("lossy")
                .AddHandler<Forever, ForeverHandler>("forever"),
            services => services.AddSingleton(outbox),
            s =>
            {
                s.Mode = mode;
                settings?.Invoke(s);
            });

    [Fact]
    public async Task Manual_mode_stores_jobs_until_the_test_drains_them_and_drains_what_jobs_enqueue()
    {
        var outbox = new Outbox();
        await using var conveyor = await StartAsync(outbox, TestMode.Manual);

        var (id, _) = await conveyor.Client.EnqueueAsync(new Signup("ada@example.com"));
        var signup = conveyor.AssertEnqueued<Signup>(s => s.Email == "ada@example.com");
        Assert.Equal(id, signup.Id);
        Assert.Equal(JobState.Queued, (await conveyor.Client.GetAsync(id))!.State);
        conveyor.AssertNotEnqueued<SendEmail>();
        Assert.Empty(outbox.Sent);

        var drained = await conveyor.DrainAsync();
        Assert.Equal(2, drained.Attempts);
        Assert.Equal(2, drained.Completed);
        Assert.Equal(id, drained.JobIds[0]);
        Assert.Equal(["ada@example.com: Welcome"], outbox.Sent);
        var email = conveyor.AssertEnqueued<SendEmail>(e => e.To == "ada@example.com");
        Assert.Equal("Welcome", email.Args.Subject);
        Assert.Equal("completed", (await conveyor.Client.WaitAsync(email.Id)).State.ToName());
        Assert.Equal(0, (await conveyor.DrainAsync()).Attempts);
    }

    [Fact]
    public async Task Inline_mode_runs_the_job_before_enqueue_returns_and_its_children_after_it()
    {
        var outbox = new Outbox();
        await using var conveyor = await StartAsync(outbox, TestMode.Inline);

        var (id, _) = await conveyor.Client.EnqueueAsync(new Signup("grace@example.com"));

        Assert.Equal(JobState.Completed, (await conveyor.Client.GetAsync(id))!.State);
        Assert.Equal(["grace@example.com: Welcome"], outbox.Sent);
        var email = conveyor.AssertEnqueued<SendEmail>();
        Assert.True(email.Id > id);
        var job = await conveyor.Client.GetAsync(email.Id);
        Assert.Equal("grace@example.com", job!.Result!.Value.GetProperty("delivered").GetString());
        Assert.Equal(100, job.Progress!.Percent);
    }

    [Fact]
    public async Task Args_go_through_the_real_serializer_so_ones_that_do_not_round_trip_show_in_the_test()
    {
        var outbox = new Outbox();
        await using var conveyor = await StartAsync(outbox, TestMode.Inline);
        // Serialized with its name, read back without it (no setter the deserializer can use): the handler sees the default,
        // as it would in production.
        await conveyor.Client.EnqueueAsync(Lossy.Named("important"));
        Assert.Equal(["unset"], outbox.Seen);
        Assert.Equal("unset", conveyor.AssertEnqueued<Lossy>().Args.Name);
    }

    [Fact]
    public async Task A_failing_attempt_throws_in_the_test_and_its_retry_waits_for_the_clock()
    {
        var outbox = new Outbox();
        await using var conveyor = await StartAsync(outbox, TestMode.Manual);
        var start = conveyor.Now;
        var (id, _) = await conveyor.Client.EnqueueAsync(new Flaky("smtp"));

        var failed = await Assert.ThrowsAsync<JobAttemptFailedException>(() => conveyor.DrainAsync());
        Assert.Equal(id, failed.JobId);
        Assert.IsType<InvalidOperationException>(failed.InnerException);
        Assert.Contains("smtp is down", failed.Message);
        var job = await conveyor.Client.GetAsync(id);
        Assert.Equal(JobState.Scheduled, job!.State);
        Assert.Equal(start + TimeSpan.FromSeconds(30), job.RunAt);

        await conveyor.AdvanceAsync(TimeSpan.FromSeconds(29));
        Assert.Equal(0, (await conveyor.DrainAsync()).Attempts);
        await conveyor.AdvanceAsync(TimeSpan.FromSeconds(1));
        Assert.Equal(1, (await conveyor.DrainAsync()).Completed);
        Assert.Equal(2, (await conveyor.Client.GetAsync(id))!.Attempt);
        Assert.Equal(start + TimeSpan.FromSeconds(30), conveyor.Now);
    }

    [Fact]
    public async Task ThrowOnFailure_off_records_failures_as_values()
    {
        var outbox = new Outbox { FlakyFailures = 100 };
        await using var conveyor = await StartAsync(outbox, TestMode.Inline, s => s.ThrowOnFailure = false);
        var (id, _) = await conveyor.Client.EnqueueAsync(new Flaky("db"), new EnqueueOptions { MaxAttempts = 3 });
        await conveyor.AdvanceAsync(TimeSpan.FromMinutes(10));
        var job = await conveyor.Client.GetAsync(id);
        Assert.Equal(JobState.Failed, job!.State);
        Assert.Equal(3, job.Errors.Count);
        Assert.All(job.Errors, e => Assert.Equal("db is down", e.Message));
    }

    [Fact]
    public async Task Delays_run_when_the_clock_reaches_them_in_inline_mode()
    {
        var outbox = new Outbox();
        await using var conveyor = await StartAsync(outbox, TestMode.Inline);
        await conveyor.Client.EnqueueAsync(new SendEmail("a@b.c", "Reminder"), new EnqueueOptions { Delay = TimeSpan.FromHours(1) });
        Assert.Empty(outbox.Sent);
        await conveyor.AdvanceAsync(TimeSpan.FromMinutes(59));
        Assert.Empty(outbox.Sent);
        await conveyor.AdvanceAsync(TimeSpan.FromMinutes(1));
        Assert.Equal(["a@b.c: Reminder"], outbox.Sent);
    }

    [Fact]
    public async Task An_expired_lease_is_rescued_when_the_clock_passes_it()
    {
        var outbox = new Outbox();
        await using var conveyor = await StartAsync(outbox, TestMode.Manual);
        var (id, _) = await conveyor.Client.EnqueueAsync(new SendEmail("x@y.z", "Lost"));
        // Another worker claims the job and dies without a word.
        var store = conveyor.Services.GetRequiredService<IJobExecutionStore>();
        var claimed = await store.JobClaimAsync(new JobClaimParams("doomed-worker", ["default"], 1, TimeSpan.FromSeconds(30)), default);
        Assert.Equal(id, Assert.Single(claimed).Id);
        Assert.Equal(0, (await conveyor.DrainAsync()).Attempts);

        await conveyor.AdvanceAsync(TimeSpan.FromSeconds(31));
        var job = await conveyor.Client.GetAsync(id);
        Assert.Equal("WorkerLost", job!.Errors.Single().Type);

        await conveyor.AdvanceAsync(TimeSpan.FromMinutes(5));
        Assert.Equal(1, (await conveyor.DrainAsync()).Completed);
        Assert.Equal(["x@y.z: Lost"], outbox.Sent);
    }

    [Fact]
    public async Task Cron_ticks_fire_as_the_clock_passes_them()
    {
        var outbox = new Outbox();
        await using var conveyor = await StartAsync(outbox, TestMode.Inline);
        await conveyor.Schedules.UpsertAsync(new ScheduleDefinition { Name = "every-15", Cron = "*/15 * * * *", Kind = "tick" });
        await conveyor.AdvanceAsync(TimeSpan.FromHours(1));
        Assert.Equal(["00:15", "00:30", "00:45", "01:00"], outbox.Seen);
        Assert.Equal(4, conveyor.Enqueued<Tick>().Count);
    }

    [Fact]
    public async Task RunJobAsync_runs_one_handler_with_a_real_context_and_records_every_progress_report()
    {
        var outbox = new Outbox();
        await using var conveyor = await StartAsync(outbox, TestMode.Manual);

        var run = await conveyor.RunJobAsync<SendEmailHandler>(new SendEmail("ada@example.com", "Hi"));
        Assert.True(run.Completed);
        Assert.Equal("ada@example.com", run.ResultAs<Dictionary<string, string>>()!["delivered"]);
        Assert.Equal([50, 100], run.Progress.Select(p => p.Percent!.Value));
        Assert.Equal(["rendering", "sending"], run.Progress.Select(p => p.Stage!));
        Assert.Empty(conveyor.Enqueued<SendEmail>());

        var failed = await conveyor.RunJobAsync<FlakyHandler>(new Flaky("api"));
        Assert.False(failed.Completed);
        Assert.Equal("api is down", failed.Exception!.Message);
        Assert.Throws<ArgumentException>(() => { _ = conveyor.RunJobAsync<Outbox>(new Tick()); });
    }

    [Fact]
    public async Task Assertions_say_what_was_enqueued_instead()
    {
        var outbox = new Outbox();
        await using var conveyor = await StartAsync(outbox, TestMode.Manual);
        await conveyor.Client.EnqueueAsync(new SendEmail("a@example.com", "One"));
        await conveyor.Client.EnqueueAsync(new SendEmail("b@example.com", "Two"));

        var missing = Assert.Throws<ConveyorAssertionException>(() => conveyor.AssertEnqueued<SendEmail>(e => e.To == "c@example.com"));
        Assert.Contains("b@example.com", missing.Message);
        Assert.Throws<ConveyorAssertionException>(() => conveyor.AssertEnqueued<SendEmail>());
        var present = Assert.Throws<ConveyorAssertionException>(() => conveyor.AssertNotEnqueued<SendEmail>(e => e.Subject == "Two"));
        Assert.Contains("found 1", present.Message);
        conveyor.AssertNotEnqueued<Signup>();
        Assert.Equal(["a@example.com", "b@example.com"], conveyor.Enqueued<SendEmail>().Select(e => e.Args.To));
        var waiting = await Assert.ThrowsAsync<InvalidOperationException>(() => conveyor.Client.WaitAsync(conveyor.Enqueued<SendEmail>()[0].Id));
        Assert.Contains("DrainAsync", waiting.Message);
    }

    [Fact]
    public async Task A_job_that_enqueues_itself_forever_stops_the_drain_with_an_error()
    {
        var outbox = new Outbox();
        await using var conveyor = await StartAsync(outbox, TestMode.Manual, s => s.MaxAttemptsPerDrain = 20);
        await conveyor.Client.EnqueueAsync(new Forever());
        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => conveyor.DrainAsync());
        Assert.Contains("20 attempts", error.Message);
    }

    [Fact]
    public async Task Kits_are_independent()
    {
        var first = new Outbox();
        var second = new Outbox();
        await using var a = await StartAsync(first, TestMode.Inline);
        await using var b = await StartAsync(second, TestMode.Inline, s => s.Start = new DateTimeOffset(2031, 6, 1, 12, 0, 0, TimeSpan.Zero));
        await Task.WhenAll(a.Client.EnqueueAsync(new SendEmail("a@a", "A")), b.Client.EnqueueAsync(new SendEmail("b@b", "B")));
        await a.AdvanceAsync(TimeSpan.FromDays(1));
        Assert.Equal(["a@a: A"], first.Sent);
        Assert.Equal(["b@b: B"], second.Sent);
        Assert.Equal(new DateTimeOffset(2031, 6, 1, 12, 0, 0, TimeSpan.Zero), b.Now);
        Assert.Single(b.Enqueued<SendEmail>());
    }
}
