namespace Signups;

/// <summary>A sender for tests: records what was sent, and fails the first <see cref="FailFirst"/> sends.</summary>
public sealed class RecordingEmailSender : IEmailSender
{
    private readonly List<(string To, string Template)> _sent = [];

    public int FailFirst { get; set; }

    public IReadOnlyList<(string To, string Template)> Sent
    {
        get { lock (_sent) return [.. _sent]; }
    }

    public Task SendAsync(string to, string template, CancellationToken ct)
    {
        lock (_sent)
        {
            if (FailFirst > 0)
            {
                FailFirst--;
                throw new IOException("SMTP server unavailable");
            }
            _sent.Add((to, template));
        }
        return Task.CompletedTask;
    }
}
