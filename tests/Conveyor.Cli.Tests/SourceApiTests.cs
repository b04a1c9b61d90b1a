using System.Net;
using System.Text;
using Xunit;

namespace Conveyor.Cli.Tests;

/// <summary>Table sources need PostgreSQL: on SQLite every surface says so clearly and changes nothing.</summary>
public sealed class SourceApiTests(ServeFixture serve) : IClassFixture<ServeFixture>
{
    [Fact]
    public async Task On_sqlite_the_api_and_the_cli_say_that_table_sources_need_postgresql()
    {
        var list = await serve.Http.GetAsync("/api/sources");
        Assert.Equal(HttpStatusCode.BadRequest, list.StatusCode);
        Assert.Contains("need PostgreSQL", await list.Content.ReadAsStringAsync());
        var put = await serve.Http.PutAsync("/api/sources/reviews", new StringContent(
            """{"table":"uploaded_files","statusColumn":"status","fromStatus":"new","toStatus":"queued","kind":"demo.noop"}""", Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.BadRequest, put.StatusCode);
        var unknownField = await serve.Http.PutAsync("/api/sources/reviews", new StringContent("""{"tabel":"x"}""", Encoding.UTF8, "application/json"));
        Assert.Contains("Unknown field", await unknownField.Content.ReadAsStringAsync());
        var cli = await serve.CliAsync("sources", "list");
        Assert.Equal(2, cli.ExitCode);
        Assert.Contains("need PostgreSQL", cli.All);
    }
}
