using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.RegularExpressions;
using Conveyor.TestSupport;
using Xunit;

namespace Conveyor.Cli.Tests;

/// <summary>
/// What a user does: the packages from a local feed into a fresh <c>dotnet new web</c> app that enqueues and completes a
/// job, and the <c>conveyor</c> tool installed from the same feed. A copy of src/ is packed (so this test never touches
/// the build the other tests run from) with a version of its own, so NuGet's package cache never serves a stale copy.
/// </summary>
public sealed class PackageTests
{
    private static readonly string[] Packages = ["Conveyor", "Conveyor.Sqlite", "Conveyor.Postgres", "Conveyor.Web", "Conveyor.Testing", "Conveyor.Cli"];
    private static readonly TimeSpan Slow = TimeSpan.FromMinutes(5);

    [Fact]
    public async Task Packages_install_into_a_new_web_app_and_the_tool_installs_and_runs_jobs()
    {
        using var dir = new TempDirectory("conveyor-pack");
        var version = $"0.1.0-local.{DateTime.UtcNow:yyyyMMddHHmmss}{Random.Shared.Next(1000, 9999)}";
        var feed = dir.File("feed");
        try
        {
            await PackAsync(dir, version, feed);
            foreach (var id in Packages)
            {
                Assert.True(File.Exists(Path.Combine(feed, $"{id}.{version}.nupkg")), $"no package {id}");
                Assert.True(File.Exists(Path.Combine(feed, $"{id}.{version}.snupkg")), $"no symbols package for {id}");
            }
            await NewWebAppRunsAJobAsync(dir, version, feed);
            await ToolRunsAJobAsync(dir, version, feed);
        }
        finally
        {
            // The test's own version only: the user's cached packages stay.
            var cache = Environment.GetEnvironmentVariable("NUGET_PACKAGES") ?? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");
            foreach (var id in Packages)
            {
                var cached = Path.Combine(cache, id.ToLowerInvariant(), version);
                if (Directory.Exists(cached))
                    Directory.Delete(cached, recursive: true);
            }
        }
    }

    private static async Task PackAsync(TempDirectory dir, string version, string feed)
    {
        var copy = dir.File("repo");
        CopyTree(Path.Combine(RepoPaths.Root, "src"), Path.Combine(copy, "src"));
        foreach (var file in new[] { "Directory.Build.props", "README.md", "LICENSE" })
            File.Copy(Path.Combine(RepoPaths.Root, file), Path.Combine(copy, file));
        var projects = string.Concat(Directory.GetDirectories(Path.Combine(copy, "src")).Select(d => $"<Project Path=\"src/{Path.GetFileName(d)}/{Path.GetFileName(d)}.csproj\" />"));
        await File.WriteAllTextAsync(Path.Combine(copy, "Packages.slnx"), $"<Solution>{projects}</Solution>");
        await RunAsync("dotnet", ["pack", "Packages.slnx", "-c", "Release", "-o", feed, $"-p:Version={version}"], copy);
    }

    private static async Task NewWebAppRunsAJobAsync(TempDirectory dir, string version, string feed)
    {
        var app = dir.File("app");
        await RunAsync("dotnet", ["new", "web", "-o", app, "--no-restore"], dir.Path);
        await File.WriteAllTextAsync(Path.Combine(app, "nuget.config"), await NuGetConfigAsync(feed));
        foreach (var package in new[] { "Conveyor.Sqlite", "Conveyor.Web" })
            await RunAsync("dotnet", ["add", "package", package, "--version", version], app);
        // docs/getting-started.md's app, exactly: the guide's sample is this file.
        File.Copy(Path.Combine(RepoPaths.Root, "examples", "GettingStarted", "Program.cs"), Path.Combine(app, "Program.cs"), overwrite: true);
        await RunAsync("dotnet", ["build", "-c", "Release"], app);
        var assets = await File.ReadAllTextAsync(Path.Combine(app, "obj", "project.assets.json"));
        Assert.Contains($"\"Conveyor.Web/{version}\"", assets);
        Assert.Contains($"\"Conveyor/{version}\"", assets);

        var url = $"http://127.0.0.1:{FreePort.Next()}";
        await using var server = ChildProcess.Start("dotnet", ["run", "--no-build", "-c", "Release", "--", "--urls", url, $"--Database=Data Source={dir.File("app.db")}"], workingDirectory: app);
        await server.WaitForOutputAsync("Now listening on", TimeSpan.FromSeconds(60));
        using var http = new HttpClient { BaseAddress = new Uri(url) };
        var response = await http.PostAsync("/greet/Ada", null);
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var id = (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetInt64();
        JsonElement job = default;
        for (var i = 0; i < 200; i++)
        {
            job = await http.GetFromJsonAsync<JsonElement>($"/api/jobs/{id}");
            if (job.GetProperty("state").GetString() is "completed" or "failed")
                break;
            await Task.Delay(50);
        }
        Assert.Equal("completed", job.GetProperty("state").GetString());
        Assert.Equal("Hello, Ada!", job.GetProperty("result").GetProperty("greeting").GetString());
        var dashboard = await http.GetAsync("/jobs");
        Assert.Equal(HttpStatusCode.OK, dashboard.StatusCode);
        Assert.Contains("text/html", dashboard.Content.Headers.ContentType?.ToString());
    }

    private static async Task ToolRunsAJobAsync(TempDirectory dir, string version, string feed)
    {
        var tools = dir.File("tools");
        await RunAsync("dotnet", ["tool", "install", "Conveyor.Cli", "--tool-path", tools, "--add-source", feed, "--version", version], dir.Path);
        var conveyor = Path.Combine(tools, "conveyor");
        var (_, printed, _) = await RunAsync(conveyor, ["--version"], dir.Path);
        Assert.StartsWith(version, printed.Trim());

        var database = dir.File("tool.db");
        var (_, enqueued, _) = await RunAsync(conveyor, ["enqueue", "demo.sleep", "--database", database, "--args", """{"seconds":0.2,"steps":2}""", "--json"], dir.Path);
        var id = JsonDocument.Parse(enqueued).RootElement.GetProperty("id").GetInt64();
        var (_, drained, _) = await RunAsync(conveyor, ["drain", "--database", database], dir.Path);
        Assert.Contains("1 completed", drained);
        var (_, status, _) = await RunAsync(conveyor, ["status", id.ToString(), "--database", database, "--json"], dir.Path);
        Assert.Equal("completed", JsonDocument.Parse(status).RootElement.GetProperty("state").GetString());
    }

    /// <summary>The app's nuget.config: Conveyor's packages from the local feed only, everything else from the machine's own sources.</summary>
    private static async Task<string> NuGetConfigAsync(string feed)
    {
        var (_, listed, _) = await RunAsync("dotnet", ["nuget", "list", "source", "--format", "short"], Path.GetTempPath());
        var sources = Regex.Matches(listed, @"^E\S*\s+(\S+)\s*$", RegexOptions.Multiline).Select(m => m.Groups[1].Value).ToList();
        Assert.NotEmpty(sources);
        var adds = string.Concat(sources.Select((s, i) => $"""<add key="source{i}" value="{s}" />"""));
        var maps = string.Concat(sources.Select((_, i) => $"""<packageSource key="source{i}"><package pattern="*" /></packageSource>"""));
        return $"""
            <?xml version="1.0" encoding="utf-8"?>
            <configuration>
              <packageSources><clear /><add key="conveyor-local" value="{feed}" />{adds}</packageSources>
              <packageSourceMapping>
                <packageSource key="conveyor-local"><package pattern="Conveyor" /><package pattern="Conveyor.*" /></packageSource>
                {maps}
              </packageSourceMapping>
            </configuration>
            """;
    }

    private static async Task<(int, string, string)> RunAsync(string fileName, string[] args, string workingDirectory)
    {
        var result = await ChildProcess.RunAsync(fileName, args, Slow, workingDirectory: workingDirectory);
        Assert.True(result.ExitCode == 0, $"{fileName} {string.Join(' ', args)} exited {result.ExitCode}:\n{result.All}");
        return result;
    }

    private static void CopyTree(string from, string to)
    {
        Directory.CreateDirectory(to);
        foreach (var file in Directory.GetFiles(from))
            File.Copy(file, Path.Combine(to, Path.GetFileName(file)));
        foreach (var sub in Directory.GetDirectories(from))
        {
            var name = Path.GetFileName(sub);
            if (name is not ("bin" or "obj"))
                CopyTree(sub, Path.Combine(to, name));
        }
    }
}
