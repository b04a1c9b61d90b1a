using Conveyor.Testing;
using Microsoft.Extensions.DependencyInjection;
using Xunit;

namespace Conveyor.Tests.DocSamples;

// docs/handlers.md's samples, compiled and run: its blocks are these regions, line for line.

public sealed record InvoiceLine(string Sku, decimal Amount);

public sealed record PaymentResult(bool Declined, bool RateLimited, string? ChargeId);

/// <summary>A payment provider's client: charges are idempotent by the key the caller gives.</summary>
public interface IPayments
{
    Task<PaymentResult> ChargeAsync(string customer, decimal amount, string idempotencyKey, CancellationToken ct);
}

// sample: handler
public sealed record ChargeInvoice(long InvoiceId, string Customer, IReadOnlyList<InvoiceLine> Lines);

public sealed class ChargeInvoiceHandler(IPayments payments) : IJobHandler<ChargeInvoice>
{
    public async Task<JobResult> HandleAsync(JobContext<ChargeInvoice> job, CancellationToken ct)
    {
        var lines = job.Args.Lines;
        var charges = new List<string>();
        for (var i = 0; i < lines.Count; i++)
        {
            ct.ThrowIfCancellationRequested();              // cancelled, timed out, or the worker is stopping
            // Idempotent: the key is the same on every attempt of this job, so a retry never charges twice.
            var key = $"invoice-{job.Args.InvoiceId}-line-{i}-job-{job.JobId}";
            var paid = await payments.ChargeAsync(job.Args.Customer, lines[i].Amount, key, ct);
            if (paid.Declined)
                throw new JobPermanentFailureException($"Card declined for line {i}.");   // fails now, no retries
            if (paid.RateLimited)
                return JobResult.Retry("rate limited", after: TimeSpan.FromSeconds(30));  // an attempt, then again in 30 s
            charges.Add(paid.ChargeId!);
            await job.ReportProgressAsync(null, lines[i].Sku, done: i + 1, total: lines.Count);
        }
        return JobResult.Completed(new { charges });        // the job's result, stored as JSON
    }
}
// end sample

public sealed class HandlersGuideTests
{
    /// <summary>A provider that remembers keys (a second charge with a key answers the first one) and can be told to refuse.</summary>
    private sealed class FakePayments : IPayments
    {
        public Dictionary<string, string> Charged { get; } = [];
        public int RateLimitedCalls { get; set; }
        public bool Decline { get; set; }
        public int Calls { get; private set; }

        public Task<PaymentResult> ChargeAsync(string customer, decimal amount, string idempotencyKey, CancellationToken ct)
        {
            Calls++;
            if (Decline)
                return Task.FromResult(new PaymentResult(true, false, null));
            if (RateLimitedCalls > 0 && Charged.Count == 1)
            {
                RateLimitedCalls--;
                return Task.FromResult(new PaymentResult(false, true, null));
            }
            if (!Charged.TryGetValue(idempotencyKey, out var id))
                Charged[idempotencyKey] = id = $"ch_{Charged.Count + 1}";
            return Task.FromResult(new PaymentResult(false, false, id));
        }
    }

    private static Task<TestConveyor> StartAsync(FakePayments payments)
    {
        // sample: registration
        Action<ConveyorOptions> jobs = o => o.AddHandler<ChargeInvoice, ChargeInvoiceHandler>("billing.charge-invoice", k =>
        {
            k.MaxAttempts = 5;                               // then the job fails for good
            k.Backoff = BackoffPolicy.Default with { Base = TimeSpan.FromSeconds(10) };   // 10 s, 20 s, 40 s, ... ±20 %
            k.Timeout = TimeSpan.FromMinutes(2);             // an attempt running longer is cancelled and retried
        });
        // end sample
        return TestConveyor.StartAsync(jobs, services => services.AddSingleton<IPayments>(payments), s => s.ThrowOnFailure = false);
    }

    private static readonly ChargeInvoice Invoice = new(42, "cus_7", [new("A-1", 10m), new("B-2", 15m)]);

    [Fact]
    public async Task A_rate_limited_charge_is_retried_after_30_s_and_charges_nothing_twice()
    {
        var payments = new FakePayments { RateLimitedCalls = 1 };
        await using var conveyor = await StartAsync(payments);
        var (id, _) = await conveyor.Client.EnqueueAsync(Invoice);
        await conveyor.DrainAsync();
        var job = await conveyor.Client.GetAsync(id);
        Assert.Equal((JobState.Scheduled, "rate limited"), (job!.State, job.Errors.Single().Message));
        Assert.Equal(conveyor.Now + TimeSpan.FromSeconds(30), job.RunAt);

        await conveyor.AdvanceAsync(TimeSpan.FromSeconds(30));
        await conveyor.DrainAsync();
        job = await conveyor.Client.GetAsync(id);
        Assert.Equal(JobState.Completed, job!.State);
        Assert.Equal(2, payments.Charged.Count);               // line 0 was charged once although it ran twice
        Assert.Equal(["ch_1", "ch_2"], job.Result!.Value.GetProperty("charges").EnumerateArray().Select(c => c.GetString()));
    }

    [Fact]
    public async Task A_declined_card_fails_the_job_at_once()
    {
        var payments = new FakePayments { Decline = true };
        await using var conveyor = await StartAsync(payments);
        var (id, _) = await conveyor.Client.EnqueueAsync(Invoice);
        await conveyor.DrainAsync();
        var job = await conveyor.Client.GetAsync(id);
        Assert.Equal((JobState.Failed, 1, 5), (job!.State, job.Attempt, job.MaxAttempts));
        Assert.Contains("Card declined", job.Errors.Single().Message);
    }

    [Fact]
    public async Task Progress_is_reported_per_line_and_a_unique_key_enqueues_once()
    {
        var payments = new FakePayments();
        await using var conveyor = await StartAsync(payments);
        var run = await conveyor.RunJobAsync<ChargeInvoiceHandler>(Invoice);
        Assert.Equal([(1L, 2L, "A-1"), (2L, 2L, "B-2")], run.Progress.Select(p => (p.Done!.Value, p.Total!.Value, p.Stage!)));

        var jobs = conveyor.Client;
        var invoice = Invoice;
        // sample: enqueue
        var (id, duplicate) = await jobs.EnqueueAsync(
            new ChargeInvoice(invoice.InvoiceId, invoice.Customer, invoice.Lines),
            new EnqueueOptions { UniqueKey = $"charge-invoice:{invoice.InvoiceId}", Queue = "billing" });
        // end sample
        var again = await jobs.EnqueueAsync(invoice, new EnqueueOptions { UniqueKey = $"charge-invoice:{invoice.InvoiceId}", Queue = "billing" });
        Assert.False(duplicate);
        Assert.Equal((id, true), (again.Id, again.Duplicate));
        Assert.Single(conveyor.Enqueued<ChargeInvoice>());
    }

    [Fact]
    public async Task Cancelling_a_running_charge_stops_it_between_lines()
    {
        var payments = new FakePayments();
        await using var conveyor = await StartAsync(payments);
        using var cancelled = new CancellationTokenSource();
        cancelled.Cancel();
        var run = await conveyor.RunJobAsync<ChargeInvoiceHandler>(Invoice, ct: cancelled.Token);
        Assert.IsAssignableFrom<OperationCanceledException>(run.Exception);
        Assert.Equal(0, payments.Calls);
    }
}
