using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Conveyor.TestSupport;
using Xunit;

namespace Conveyor.Cli.Tests;

/// <summary>The upload-processing example, run as the real web app it is.</summary>
public sealed class FileProcessingExampleTests
{
    [Fact]
    public async Task Upload_returns_at_once_and_the_job_reports_per_file_progress_and_counts()
    {
        using var dir = new TempDirectory("conveyor-example");
        var url = $"http://127.0.0.1:{FreePort.Next()}";
        await using var app = ChildProcess.Start("dotnet",
            [RepoPaths.FileProcessingExampleDll, "--urls", url, $"--Database=Data Source={dir.File("uploads.db")}", $"--UploadRoot={dir.File("files")}", "--DelayPerFileMs=300"],
            workingDirectory: dir.Path);
        await app.WaitForOutputAsync("Now listening on", TimeSpan.FromSeconds(60));
        using var http = new HttpClient { BaseAddress = new Uri(url) };

        using var form = new MultipartFormDataContent
        {
            { new StringContent("one two three\nfour", Encoding.UTF8), "a", "a.txt" },
            { new StringContent("alpha beta", Encoding.UTF8), "b", "b.txt" },
            { new StringContent("", Encoding.UTF8), "c", "c.txt" },
        };
        var response = await http.PostAsync("/uploads", form);
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var id = (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetInt64();

        var sawPartialProgress = false;
        JsonElement upload = default;
        for (var i = 0; i < 200; i++)
        {
            upload = await http.GetFromJsonAsync<JsonElement>($"/uploads/{id}");
            if (upload.GetProperty("progress").ValueKind == JsonValueKind.Object && upload.GetProperty("progress").GetProperty("done").GetInt64() is > 0 and < 3)
                sawPartialProgress = true;
            if (upload.GetProperty("state").GetString() == "completed")
                break;
            await Task.Delay(50);
        }
        Assert.Equal("completed", upload.GetProperty("state").GetString());
        Assert.True(sawPartialProgress, "progress was never seen between files");
        Assert.Equal(3, upload.GetProperty("progress").GetProperty("total").GetInt64());
        Assert.Equal(100, upload.GetProperty("progress").GetProperty("percent").GetInt32());
        var files = upload.GetProperty("result").GetProperty("files").EnumerateArray().ToDictionary(f => f.GetProperty("file").GetString()!, f => f.GetProperty("words").GetInt32());
        Assert.Equal(new Dictionary<string, int> { ["a.txt"] = 4, ["b.txt"] = 2, ["c.txt"] = 0 }, files);
        Assert.Equal(6, upload.GetProperty("result").GetProperty("totalWords").GetInt32());

        Assert.Equal(HttpStatusCode.BadRequest, (await http.PostAsync("/uploads", new StringContent("x"))).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await http.GetAsync("/uploads/999999")).StatusCode);
    }
}
