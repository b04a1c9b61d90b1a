using Microsoft.AspNetCore.HttpOverrides;
using System.CommandLine;
using Conveyor.Storage;
using Conveyor.Web;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Conveyor.Cli.Commands;

/// <summary><c>conveyor serve</c> (workers and the HTTP API) and <c>conveyor work</c> (workers only).</summary>
internal static class HostCommands
{
    private static readonly Option<string?> LogFormat = new("--log-format") { Description = "text (default, for people) or json (one object per line, with each job's id, kind, queue, attempt, worker and trace id) (env CONVEYOR_LOG_FORMAT)" };
    private static readonly Option<string?> TraceLinks = new("--trace-links") { Description = "Queues whose attempts start a new trace linked to the enqueuing one instead of a child span, comma-separated (env CONVEYOR_TRACE_LINKS; default: none)" };
    private static readonly Option<string?> HttpAllow = new("--http-allow") { Description = "Hosts the built-in http kind may call: names, IPs, CIDR ranges, comma-separated; internal addresses only when listed themselves (env CONVEYOR_HTTP_ALLOW; default: none, no calls)" };
    private static readonly Option<string?> Queues = new("--queues", "-q") { Description = "Queues to work, comma-separated; by job priority across them, or in order and by weight with name:weight entries: critical,default:3,low:1 (env CONVEYOR_QUEUES; default: default)" };
    private static readonly Option<string?> Concurrency = new("--concurrency", "-c") { Description = "Jobs run at once (env CONVEYOR_CONCURRENCY; default: processors x 4)" };
    private static readonly Option<string?> ClaimAhead = new("--claim-ahead") { Description = "Most jobs claimed ahead of the free slots, held leased in memory and started as slots free; no more than start in the next 100 ms at the recent rate; 0 turns it off (env CONVEYOR_CLAIM_AHEAD; default 1500)" };
    private static readonly Option<string?> Lease = new("--lease") { Description = "Lease per claim, renewed by heartbeats every lease/3 (env CONVEYOR_LEASE; default 30s)" };
    private static readonly Option<string?> PollInterval = new("--poll-interval") { Description = "Fallback poll when no wake-up arrives (env CONVEYOR_POLL_INTERVAL; default 1s)" };
    private static readonly Option<string?> ShutdownTimeout = new("--shutdown-timeout") { Description = "On SIGINT/SIGTERM, how long running jobs may finish (env CONVEYOR_SHUTDOWN_TIMEOUT; default 30s)" };
    private static readonly Option<string?> WorkerId = new("--worker-id") { Description = "This process's worker id (env CONVEYOR_WORKER_ID; default host-pid-random)" };
    private static readonly Option<string?> RescueInterval = new("--rescue-interval") { Description = "How often expired leases are looked for (env CONVEYOR_RESCUE_INTERVAL; default 5s)" };
    private static readonly Option<string?> CompletedRetention = new("--completed-retention") { Description = "Delete completed jobs after this long (env CONVEYOR_COMPLETED_RETENTION; default 7d)" };
    private static readonly Option<string?> FailedRetention = new("--failed-retention") { Description = "Delete failed and cancelled jobs after this long (env CONVEYOR_FAILED_RETENTION; default 30d)" };
    private static readonly Option<string?> Urls = new("--urls") { Description = "Where the HTTP API listens (env CONVEYOR_URLS; default http://127.0.0.1:5000)" };
    private static readonly Option<string?> ApiKey = new("--api-key") { Description = "Require this key (all scopes) on /api routes (env CONVEYOR_API_KEY)" };
    private static readonly Option<string?> ApiKeys = new("--api-keys") { Description = "Scoped keys, KEY:scope[+scope],... with scopes read, operate, admin, worker (env CONVEYOR_API_KEYS)" };
    private static readonly Option<string?> SigningKey = new("--signing-key") { Description = "Secret that signs job read tokens and dashboard sessions; the same on every server of a fleet (env CONVEYOR_SIGNING_KEY; default: random per process)" };
    private static readonly Option<string?> Redact = new("--redact") { Description = "Args fields never shown by the API, events or dashboard: kind:path[+path];kind2:path, paths dotted (env CONVEYOR_REDACT)" };
    private static readonly Option<string?> TrustedProxies = new("--trusted-proxies") { Description = "Proxy addresses whose X-Forwarded-For is believed, comma-separated (env CONVEYOR_TRUSTED_PROXIES; default: none)" };

    public static Command Serve(CliSettings settings)
    {
        var command = new Command("serve", "Run workers and the HTTP API on an embedded or shared store");
        AddWorkerOptions(command);
        command.Add(Urls);
        command.Add(ApiKey);
        command.Add(ApiKeys);
        command.Add(SigningKey);
        command.Add(TrustedProxies);
        command.Add(Redact);
        command.SetAction((parse, ct) => CliApp.Guard(() => ServeAsync(parse, settings, ct)));
        return command;
    }

    private static readonly Option<int?> Max = new("--max") { Description = "Run at most this many jobs (default: all that are ready)" };

    public static Command Drain(CliSettings settings)
    {
        var command = new Command("drain", "Run the jobs that are ready now (up to --max) and exit: 0 when every one completed, 1 otherwise");
        AddWorkerOptions(command);
        command.Add(Max);
        command.Add(CommonOptions.Json);
        command.SetAction((parse, ct) => CliApp.Guard(() => DrainAsync(parse, settings, ct)));
        return command;
    }

    /// <summary>
    /// A worker that claims at most --max jobs, stops once nothing is ready and nothing runs, and answers how the attempts
    /// it ran ended. No maintenance and no scheduler: for setups whose own scheduler (cron, CI) decides when work runs.
    /// </summary>
    private static async Task<int> DrainAsync(ParseResult parse, CliSettings settings, CancellationToken ct)
    {
        var max = parse.GetValue(Max);
        if (max is < 1)
            throw new JobValidationException($"--max must be at least 1 (got {max}).");
        var plan = new Conveyor.Execution.DrainPlan(max);
        var (setup, checkedOptions, jsonLogs) = Validated(parse, settings, createsDatabase: false);
        Action<ConveyorOptions> drain = o =>
        {
            setup(o);
            o.Drain = plan;
            o.RunMaintenance = false;
        };
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { Args = [], DisableDefaults = true });
        AddConveyorHost(builder.Services, (drain, checkedOptions, jsonLogs));
        CliTelemetry.Add(builder, prometheus: false);
        if (parse.GetValue(CommonOptions.Json)) // one JSON document on stdout: the log goes to stderr
            builder.Services.Configure<Microsoft.Extensions.Logging.Console.ConsoleLoggerOptions>(o => o.LogToStandardErrorThreshold = LogLevel.Trace);
        using var host = builder.Build();
        await host.StartAsync(ct);
        try
        {
            await plan.Drained.Task.WaitAsync(ct);
        }
        finally
        {
            await host.StopAsync(CancellationToken.None); // outcomes are flushed before this returns
        }
        if (parse.GetValue(CommonOptions.Json))
            JobRendering.WriteJson(new { ran = plan.Completed + plan.NotCompleted, completed = plan.Completed, notCompleted = plan.NotCompleted });
        else
            Console.Out.WriteLine($"drained: {plan.Completed + plan.NotCompleted} jobs run, {plan.Completed} completed, {plan.NotCompleted} not");
        return plan.NotCompleted == 0 ? ExitCodes.Ok : ExitCodes.JobNotCompleted;
    }

    public static Command Work(CliSettings settings)
    {
        var command = new Command("work", "Run workers only (start more of these to scale out)");
        AddWorkerOptions(command);
        command.SetAction((parse, ct) => CliApp.Guard(() => WorkAsync(parse, settings, ct)));
        return command;
    }

    private static void AddWorkerOptions(Command command)
    {
        command.Add(Queues);
        command.Add(Concurrency);
        command.Add(ClaimAhead);
        command.Add(Lease);
        command.Add(PollInterval);
        command.Add(ShutdownTimeout);
        command.Add(WorkerId);
        command.Add(RescueInterval);
        command.Add(CompletedRetention);
        command.Add(FailedRetention);
        command.Add(HttpAllow);
        command.Add(TraceLinks);
        command.Add(LogFormat);
    }

    /// <summary>The client setup plus the worker flags, each read once (flag, then environment, then appsettings); validated before a host exists.</summary>
    private static (Action<ConveyorOptions> Setup, ConveyorOptions Checked, bool JsonLogs) Validated(ParseResult parse, CliSettings settings, bool createsDatabase = true)
    {
        var client = CommonOptions.ClientSetup(parse, settings, createsDatabase);
        var queues = settings.Get(parse.GetValue(Queues), "queues");
        var concurrency = settings.Int(parse.GetValue(Concurrency), "concurrency");
        var claimAhead = settings.Int(parse.GetValue(ClaimAhead), "claim-ahead");
        var lease = settings.Duration(parse.GetValue(Lease), "lease");
        var poll = settings.Duration(parse.GetValue(PollInterval), "poll-interval");
        var shutdown = settings.Duration(parse.GetValue(ShutdownTimeout), "shutdown-timeout");
        var workerId = settings.Get(parse.GetValue(WorkerId), "worker-id");
        var rescue = settings.Duration(parse.GetValue(RescueInterval), "rescue-interval");
        var completed = settings.Duration(parse.GetValue(CompletedRetention), "completed-retention");
        var failed = settings.Duration(parse.GetValue(FailedRetention), "failed-retention");
        var httpAllow = (settings.Get(parse.GetValue(HttpAllow), "http-allow") ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var traceLinks = settings.Get(parse.GetValue(TraceLinks), "trace-links");
        var jsonLogs = settings.Get(parse.GetValue(LogFormat), "log-format") switch
        {
            null or "text" => false,
            "json" => true,
            var other => throw new JobValidationException($"--log-format: '{other}' is not text or json."),
        };
        Action<ConveyorOptions> setup = o =>
        {
            client(o);
            o.RunWorkers = true;
            if (queues is not null)
                o.Queues = [.. queues.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)];
            if (concurrency is { } c)
                o.Concurrency = c;
            if (claimAhead is { } ahead)
                o.ClaimAhead = ahead;
            if (lease is { } l)
                o.Lease = l;
            if (poll is { } p)
                o.PollInterval = p;
            if (shutdown is { } s)
                o.ShutdownTimeout = s;
            if (workerId is not null)
                o.WorkerId = workerId;
            if (rescue is { } r)
                o.RescueInterval = r;
            if (completed is { } cr)
                o.CompletedRetention = cr;
            if (failed is { } fr)
                o.FailedRetention = fr;
            if (traceLinks is not null)
                o.TraceLinkQueues = [.. traceLinks.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)];
            o.AddHttpJobs(httpAllow); // the http kind exists always; with no host allowed it calls nothing
        };
        return (setup, CommonOptions.Validate(setup), jsonLogs);
    }

    private static void AddConveyorHost(IServiceCollection services, (Action<ConveyorOptions> Setup, ConveyorOptions Checked, bool JsonLogs) options)
    {
        services.AddConveyor(options.Setup);
        // The host must wait for the worker's own shutdown sequence (finish, cancel, hand back).
        services.Configure<HostOptions>(h => h.ShutdownTimeout = options.Checked.ShutdownTimeout + TimeSpan.FromSeconds(15));
        services.AddLogging(l =>
        {
            if (options.JsonLogs)
            {
                // One JSON object per line, with every scope's values as fields: an attempt's JobId, Kind, Queue, Attempt,
                // WorkerId and TraceId are on all it logs (Telemetry/JobLogScope).
                l.AddJsonConsole(c =>
                {
                    c.IncludeScopes = true;
                    c.TimestampFormat = "yyyy-MM-ddTHH:mm:ss.fffZ";
                    c.UseUtcTimestamp = true;
                });
            }
            else
            {
                l.AddSimpleConsole(c =>
                {
                    c.SingleLine = true;
                    c.TimestampFormat = "HH:mm:ss.fff ";
                });
            }
            l.AddFilter("Microsoft.AspNetCore", LogLevel.Warning).AddFilter("Microsoft.Hosting.Lifetime", LogLevel.Warning);
        });
    }

    private static async Task<int> ServeAsync(ParseResult parse, CliSettings settings, CancellationToken ct)
    {
        var options = Validated(parse, settings);
        var urls = settings.Get(parse.GetValue(Urls), "urls", "http://127.0.0.1:5000")!;
        var apiKey = settings.Get(parse.GetValue(ApiKey), "api-key");
        var keys = ConveyorApiKeys.Parse(settings.Get(parse.GetValue(ApiKeys), "api-keys"));
        if (!string.IsNullOrEmpty(apiKey))
            keys.Add(apiKey);
        // Nothing is served beyond loopback without a key.
        if (!keys.Any && urls.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).FirstOrDefault(u => !IsLoopback(u)) is { } open)
            throw new JobValidationException($"--urls {open} is reachable beyond this machine and no --api-key or --api-keys (CONVEYOR_API_KEY, CONVEYOR_API_KEYS) is set; set a key, or listen on 127.0.0.1 / [::1] / localhost.");
        var proxies = ParseProxies(settings.Get(parse.GetValue(TrustedProxies), "trusted-proxies"));
        var signingKey = settings.Get(parse.GetValue(SigningKey), "signing-key");
        var redactions = ParseRedactions(settings.Get(parse.GetValue(Redact), "redact"));
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = [] });
        // The CLI reads its own settings (flag, CONVEYOR_*, appsettings.json with "30s"-style durations): the host's
        // configuration sources would bind the same file a second time, by other rules.
        builder.Configuration.Sources.Clear();
        builder.Configuration.AddInMemoryCollection();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls(urls);
        AddConveyorHost(builder.Services, options);
        builder.Services.AddOpenApi();
        CliTelemetry.Add(builder, prometheus: true);
        builder.Services.AddConveyorWeb(o =>
        {
            o.ApiKeys = keys;
            o.SigningKey = signingKey;
            foreach (var (kind, paths) in redactions)
                o.Redact(kind, paths);
        });
        await using var app = builder.Build();
        if (proxies.Count > 0)
        {
            // Only these proxies' X-Forwarded-For is believed; without them the socket's own address decides.
            var forwarded = new ForwardedHeadersOptions { ForwardedHeaders = ForwardedHeaders.XForwardedFor | ForwardedHeaders.XForwardedProto };
            forwarded.KnownProxies.Clear();
            forwarded.KnownIPNetworks.Clear();
            foreach (var proxy in proxies)
                forwarded.KnownProxies.Add(proxy);
            app.UseForwardedHeaders(forwarded);
        }
        CliTelemetry.MapMetrics(app, keys);
        app.MapConveyor();
        app.MapConveyorDashboard("/");
        app.MapOpenApi();
        await StartWithBannerAsync(app, app.Services, "serve", urls, ct);
        if (!keys.Any)
            app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("Conveyor").LogInformation(
                "No API key is configured: serving callers on this machine only (set --api-keys to serve others).");
        await app.WaitForShutdownAsync(CancellationToken.None);
        return ExitCodes.Ok;
    }

    /// <summary>"kind:path+path;kind2:path".</summary>
    private static List<(string Kind, string[] Paths)> ParseRedactions(string? text) =>
        [.. (text ?? "").Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(entry =>
        {
            var colon = entry.IndexOf(':');
            if (colon <= 0 || colon == entry.Length - 1)
                throw new JobValidationException($"--redact: '{entry}' is not kind:path[+path].");
            var kind = entry[..colon];
            JobValidation.ValidateKind(kind);
            return (kind, entry[(colon + 1)..].Split('+', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
        })];

    private static List<System.Net.IPAddress> ParseProxies(string? text) =>
        [.. (text ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(p =>
            System.Net.IPAddress.TryParse(p, out var address) ? address : throw new JobValidationException($"--trusted-proxies: '{p}' is not an IP address."))];

    /// <summary>True for http(s)://127.x.x.x, [::1] and localhost; false for 0.0.0.0, [::], *, + and every other host.</summary>
    internal static bool IsLoopback(string url)
    {
        var host = Uri.TryCreate(url.Replace("://*", "://any-host", StringComparison.Ordinal).Replace("://+", "://any-host", StringComparison.Ordinal), UriKind.Absolute, out var uri) ? uri.Host : "";
        return host.Equals("localhost", StringComparison.OrdinalIgnoreCase)
            || (System.Net.IPAddress.TryParse(host.Trim('[', ']'), out var address) && System.Net.IPAddress.IsLoopback(address));
    }

    private static async Task<int> WorkAsync(ParseResult parse, CliSettings settings, CancellationToken ct)
    {
        var options = Validated(parse, settings);
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { Args = [], DisableDefaults = true });
        AddConveyorHost(builder.Services, options);
        CliTelemetry.Add(builder, prometheus: false);
        using var host = builder.Build();
        await StartWithBannerAsync(host, host.Services, "work", null, ct);
        await host.WaitForShutdownAsync(CancellationToken.None);
        return ExitCodes.Ok;
    }

    private static async Task StartWithBannerAsync(IHost host, IServiceProvider services, string mode, string? urls, CancellationToken ct)
    {
        var options = services.GetRequiredService<Microsoft.Extensions.Options.IOptions<ConveyorOptions>>().Value;
        var store = services.GetRequiredService<IConveyorStore>();
        var logger = services.GetRequiredService<ILoggerFactory>().CreateLogger("Conveyor");
        await host.StartAsync(ct);
        logger.LogInformation(
            "Conveyor {Mode} started. Store: {Store} | queues: {Queues} | concurrency: {Concurrency} | worker id: {WorkerId} | kinds: {Kinds}{Url}",
            mode, store.Description, string.Join(",", options.Queues), options.Concurrency, options.WorkerId,
            string.Join(",", options.RegisteredKinds.Select(k => k.Kind)), urls is null ? "" : " | listening on " + urls);
    }
}
