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

    /// <param name="setting">The name: "database" reads CONVEYOR_DATABASE and Conveyor:Database.</param>
    public string? Get(string? flag, string setting, string? fallback = null)
    {
        if (!string.IsNullOrWhiteSpace(flag))
            return flag;
        var env = Environment.GetEnvironmentVariable("CONVEYOR_" + setting.ToUpperInvariant().Replace('-', '_'));
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
