using Conveyor.Storage.Relational;
using Xunit;

namespace Conveyor.Tests.Storage;

/// <summary>A store's SQL files: a shared part written once and included where a statement needs it.</summary>
public sealed class EmbeddedSqlTests
{
    private readonly EmbeddedSql _sql = new(typeof(EmbeddedSqlTests).Assembly, "Conveyor.Tests.Sql.");

    [Fact]
    public void An_include_line_is_replaced_by_the_part()
    {
        Assert.Equal("WITH x AS (\n-- a part\nSELECT 1 AS one\n)\nSELECT * FROM x;\n", _sql["whole"].ReplaceLineEndings("\n"));
    }

    [Fact]
    public void A_part_that_includes_itself_is_refused_by_name()
    {
        var error = Assert.Throws<InvalidOperationException>(() => _sql["loop"]);
        Assert.Contains("loop.sql", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_missing_part_is_named()
    {
        var error = Assert.Throws<InvalidOperationException>(() => _sql["absent"]);
        Assert.Contains("Conveyor.Tests.Sql.absent.sql", error.Message, StringComparison.Ordinal);
    }
}
