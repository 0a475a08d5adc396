using PvMmu.Explore;
using PvMmu.Linux.Exit;

namespace PvMmu.Linux.Tests;

/// <summary>
/// Every schedule of the thread's scenarios, explored exhaustively: the upstream exit paths hold in all of them, the
/// broken ones are caught, and a counterexample replays to the same violation.
/// </summary>
public sealed class ExplorerTests
{
    public static TheoryData<string, string, int> UpstreamRuns()
    {
        var d = new TheoryData<string, string, int>();
        foreach (var s in new[] { "Linux411", "Linux413", "Linux414", "Linux61" })
        {
            foreach (var scenario in new[] { "lazy-exit", "exit-vs-switch", "threads-exit" })
            {
                foreach (var vcpus in new[] { 2, 3 })
                {
                    d.Add(s, scenario, vcpus);
                }
            }
        }

        return d;
    }

    [Theory]
    [MemberData(nameof(UpstreamRuns))]
    public void UpstreamPathsHoldInEverySchedule(string strategy, string scenario, int vcpus)
    {
        var r = new ExhaustiveExplorer(Scenarios.Build(scenario, ExitStrategies.Find(strategy)!, vcpus)).Run();
        Assert.True(r.Violation == null, $"{r.Violation} via {string.Join(" ", r.Counterexample)}");
        Assert.True(r.Exhausted);
        Assert.True(r.DistinctStates > 10);
    }

    [Fact]
    public void TheGfpAtomicFallbackHoldsInEverySchedule()
    {
        var r = new ExhaustiveExplorer(Scenarios.Build("gfp-atomic-fallback", new Linux411(), 3)).Run();
        Assert.Null(r.Violation);
        Assert.True(r.Exhausted);
    }

    [Theory]
    [InlineData("BrokenNoDropMmRef", "lazy-exit")]
    [InlineData("BrokenCpumaskOnly", "lazy-exit")]
    [InlineData("BrokenCpumaskOnly", "exit-vs-switch")]
    public void BrokenPathsAreCaughtAndTheCounterexampleReplays(string strategy, string scenario)
    {
        var build = Scenarios.Build(scenario, ExitStrategies.Find(strategy)!, 2);
        var r = new ExhaustiveExplorer(build).Run();
        Assert.NotNull(r.Violation);
        Assert.Contains("G1:", r.Violation, StringComparison.Ordinal);

        // The schedule alone reproduces it on a fresh machine.
        var m = build();
        foreach (var c in r.Counterexample)
        {
            Assert.Contains(c, m.Enabled().ToArray());
            m.Apply(c);
        }

        Assert.NotEmpty(m.K.Mc.Warnings);
    }
}
