using System.Net;
using System.Text;
using Conveyor.TestSupport;
using Xunit;

namespace Conveyor.Cli.Tests;

/// <summary>Where settings come from: the flag, then CONVEYOR_* variables, then appsettings.json, then the default.</summary>
public sealed class ConfigurationTests
{
    [Fact]
    public void The_command_runs_with_dynamic_PGO_off_hot_methods_optimized_sooner_and_thread_pool_threads_that_do_not_spin()
    {
        // Conveyor.Cli.csproj says why (a worker warms up faster and burns less CPU); the runtime reads this file beside
        // the program.
        var config = Path.ChangeExtension(RepoPaths.CliDll, ".runtimeconfig.json");
        using var json = System.Text.Json.JsonDocument.Parse(File.ReadAllText(config));
        var properties = json.RootElement.GetProperty("runtimeOptions").GetProperty("configProperties");
        Assert.False(properties.GetProperty("System.Runtime.TieredPGO").GetBoolean());
        Assert.Equal(0, properties.GetProperty("System.Threading.ThreadPool.UnfairSemaphoreSpinLimit").GetInt32());
        Assert.Equal(20, properties.GetProperty("System.Runtime.TieredCompilation.CallCountingDelayMs").GetInt32());
    }

    [Fact]
    public async Task Flag_beats_environment_beats_appsettings_beats_default()
    {
        using var dir = new TempDirectory("conveyor-config");
        await File.WriteAllTextAsync(dir.File("appsettings.json"), """{"Conveyor": {"Database": "from-appsettings.db"}}""");
        var env = new Dictionary<string, string> { ["CONVEYOR_DATABASE"] = "from-env.db" };

        Assert.Equal(0, (await ChildProcess.RunCliAsync(["migrate", "--database", "from-flag.db"], null, env, dir.Path)).ExitCode);
        Assert.True(File.Exists(dir.File("from-flag.db")));
        Assert.False(File.Exists(dir.File("from-env.db")));

        Assert.Equal(0, (await ChildProcess.RunCliAsync(["migrate"], null, env, dir.Path)).ExitCode);
        Assert.True(File.Exists(dir.File("from-env.db")));
        Assert.False(File.Exists(dir.File("from-appsettings.db")));

        Assert.Equal(0, (await ChildProcess.RunCliAsync(["migrate"], null, null, dir.Path)).ExitCode);
        Assert.True(File.Exists(dir.File("from-appsettings.db")));

        File.Delete(dir.File("appsettings.json"));
        Assert.Equal(0, (await ChildProcess.RunCliAsync(["migrate"], null, null, dir.Path)).ExitCode);
        Assert.True(File.Exists(dir.File("conveyor.db")));
    }

    [Fact]
    public async Task Database_url_is_accepted_for_postgres_and_names_no_password()
    {
        var port = FreePort.Next();
        var env = new Dictionary<string, string> { ["DATABASE_URL"] = $"postgres://app:hunter2@127.0.0.1:{port}/jobs" };
        var (code, _, all) = await ChildProcess.RunCliAsync(["queues"], TimeSpan.FromSeconds(60), env);
        Assert.True(code == 3, all);
        Assert.DoesNotContain("hunter2", all);
    }

    [Fact]
    public async Task Strict_kinds_refuse_unknown_kinds_on_the_cli_and_over_http()
    {
        using var dir = new TempDirectory("conveyor-strict");
        var db = dir.File("s.db");
        var cli = await ChildProcess.RunCliAsync(["enqueue", "no.such.kind", "--strict-kinds", "--database", db], null, null, dir.Path);
        Assert.Equal(2, cli.ExitCode);
        Assert.Contains("Unknown job kind 'no.such.kind'", cli.All);

        var url = $"http://127.0.0.1:{FreePort.Next()}";
        await using var server = ChildProcess.Cli(["serve", "--database", db, "--urls", url, "--strict-kinds"], workingDirectory: dir.Path);
        await server.WaitForOutputAsync("Conveyor serve started", TimeSpan.FromSeconds(60));
        using var http = new HttpClient { BaseAddress = new Uri(url) };
        var unknown = await http.PostAsync("/api/jobs", new StringContent("""{"kind":"no.such.kind"}""", Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.BadRequest, unknown.StatusCode);
        Assert.Contains("Unknown job kind", await unknown.Content.ReadAsStringAsync());
        var known = await http.PostAsync("/api/jobs", new StringContent("""{"kind":"demo.noop"}""", Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.Accepted, known.StatusCode);

        var list = await ChildProcess.RunCliAsync(["jobs", "--json", "--database", db], null, null, dir.Path);
        Assert.DoesNotContain("no.such.kind", list.Stdout);
    }
}
