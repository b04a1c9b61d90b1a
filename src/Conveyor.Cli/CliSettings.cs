using Microsoft.Extensions.Configuration;

namespace Conveyor.Cli;

/// <summary>
/// Where a setting comes from, first match wins: the command-line flag, then a CONVEYOR_* environment
/// variable, then appsettings.json's "Conveyor" section in the working directory, then the default.
/// </summary>
internal sealed class CliSettings
{
    private readonly IConfiguration _appSettings;

    public CliSettings(string? workingDirectory = null)
    {
        _appSettings = new ConfigurationBuilder()
            .SetBasePath(workingDirectory ?? Directory.GetCurrentDirectory())
            .AddJsonFile("appsettings.json", optional: true)
            .Build();
    }

    /// <summary>Every setting read through here: each has a CONVEYOR_* variable, named in its flag's help.</summary>
    public static readonly IReadOnlySet<string> EnvironmentSettings = new HashSet<string>(StringComparer.Ordinal)
    {
        "database", "no-migrate", "handlers", "strict-kinds", "no-listen", "schema", "max-args-bytes", "queues", "concurrency", "claim-ahead",
        "lease", "poll-interval", "shutdown-timeout", "worker-id", "rescue-interval", "completed-retention", "failed-retention",
        "http-allow", "trace-links", "log-format", "urls", "api-key", "api-keys", "signing-key", "trusted-proxies", "redact",
    };

    public static string EnvironmentVariable(string setting) => "CONVEYOR_" + setting.ToUpperInvariant().Replace('-', '_');

    /// <param name="setting">The name: "database" reads CONVEYOR_DATABASE and Conveyor:Database.</param>
    public string? Get(string? flag, string setting, string? fallback = null)
    {
        if (!EnvironmentSettings.Contains(setting))
            throw new InvalidOperationException($"Setting '{setting}' is not in CliSettings.EnvironmentSettings, so its flag's help does not name its variable.");
        if (!string.IsNullOrWhiteSpace(flag))
            return flag;
        var env = Environment.GetEnvironmentVariable(EnvironmentVariable(setting));
        if (!string.IsNullOrWhiteSpace(env))
            return env;
        if (setting == "database" && Environment.GetEnvironmentVariable("DATABASE_URL") is { Length: > 0 } url)
            return url;
        var configured = _appSettings["Conveyor:" + string.Concat(setting.Split('-').Select(p => char.ToUpperInvariant(p[0]) + p[1..]))];
        return string.IsNullOrWhiteSpace(configured) ? fallback : configured;
    }

    public string Database(string? flag) => Get(flag, "database", "./conveyor.db")!;

    public TimeSpan? Duration(string? flag, string setting)
    {
        var text = Get(flag, setting);
        return text is null ? null : Durations.Parse(text, "--" + setting);
    }

    public int? Int(string? flag, string setting)
    {
        var text = Get(flag, setting);
        if (text is null)
            return null;
        return int.TryParse(text, out var n) ? n : throw new JobValidationException($"--{setting}: '{text}' is not a whole number.");
    }

    public bool Bool(bool flag, string setting) =>
        flag || Get(null, setting) is { } text && (text == "1" || text.Equals("true", StringComparison.OrdinalIgnoreCase));
}
