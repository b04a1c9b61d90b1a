using Xunit;

namespace Conveyor.Tests;

public sealed class DependencyGraphTests
{
    private static JobRequest R(string? reference, params JobDependency[] on) =>
        new("k", null, new EnqueueOptions { Ref = reference, DependsOn = on.Length == 0 ? null : on });

    [Fact]
    public void Refs_resolve_to_positions_and_ids_pass_through()
    {
        var rows = DependencyGraph.Resolve([R("a"), R("b", JobDependency.OnRef("a")), R(null, JobDependency.OnRef("b"), 42, JobDependency.On(7, DependencyFailure.Ignore))]);
        Assert.Null(rows[0]);
        Assert.Equal(0, Assert.Single(rows[1]!).RequestIndex);
        Assert.Equal([(null, 1, false), (42, null, false), (7, null, true)], rows[2]!.Select(r => (r.JobId, r.RequestIndex, r.IgnoreFailure)));
    }

    [Fact]
    public void A_diamond_is_not_a_cycle_and_a_repeated_edge_fails_if_either_entry_says_so()
    {
        var rows = DependencyGraph.Resolve([R("a"), R("b", JobDependency.OnRef("a")), R("c", JobDependency.OnRef("a")),
            R("d", JobDependency.OnRef("b"), JobDependency.OnRef("c"), JobDependency.OnRef("b", DependencyFailure.Ignore))]);
        Assert.Equal([(1, false), (2, false)], rows[3]!.Select(r => (r.RequestIndex!.Value, r.IgnoreFailure)));
    }

    [Theory]
    [InlineData(2, "Dependencies form a cycle: 'a' -> 'b' -> 'a'.")]
    [InlineData(1, "Dependencies form a cycle: 'a' -> 'a'.")]
    [InlineData(3, "Dependencies form a cycle: 'a' -> 'c' -> 'b' -> 'a'.")]
    public void A_cycle_is_refused_with_its_path(int length, string message)
    {
        JobRequest[] requests = length switch
        {
            1 => [R("a", JobDependency.OnRef("a"))],
            2 => [R("a", JobDependency.OnRef("b")), R("b", JobDependency.OnRef("a"))],
            _ => [R("a", JobDependency.OnRef("c")), R("b", JobDependency.OnRef("a")), R("c", JobDependency.OnRef("b"))],
        };
        Assert.Equal(message, Assert.Throws<JobValidationException>(() => DependencyGraph.Resolve(requests)).Message);
    }

    [Fact]
    public void A_long_chain_does_not_overflow_the_stack()
    {
        var requests = Enumerable.Range(0, 50_000).Select(i => R($"j{i}", i == 0 ? [] : [JobDependency.OnRef($"j{i - 1}")])).ToList();
        Assert.Equal(49_999, DependencyGraph.Resolve(requests).Count(r => r is not null));
    }

    [Fact]
    public void Unknown_refs_duplicate_refs_and_bad_ids_are_clear_errors()
    {
        Assert.Equal("Job 1: depends on ref 'nope', which no job of this call has.",
            Assert.Throws<JobValidationException>(() => DependencyGraph.Resolve([R("a"), R(null, JobDependency.OnRef("nope"))])).Message);
        Assert.Equal("Job 1: ref 'a' is already used by job 0 of this call.",
            Assert.Throws<JobValidationException>(() => DependencyGraph.Resolve([R("a"), R("a")])).Message);
        Assert.Equal("Job 0: dependency id 0 is not a job id.",
            Assert.Throws<JobValidationException>(() => DependencyGraph.Resolve([R(null, 0)])).Message);
        Assert.Throws<ArgumentException>(() => JobDependency.OnRef(" "));
    }
}
