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

    /// <summary>
    /// The thread's question: does 4.11's load_cr3(swapper_pg_dir) in the IPI handler reach anything 4.13's
    /// xen_mc_flush() does not? An IPI is taken only with interrupts on, when no CR3 switch is queued, so the
    /// handler's second branch never finds xen_current_cr3 on the pgd of an mm the CPU has left: both versions end in
    /// exactly the same states (fingerprints count no IPI or hypercall numbers), in every scenario.
    /// </summary>
    [Theory]
    [InlineData("lazy-exit", 2)]
    [InlineData("lazy-exit", 3)]
    [InlineData("exit-vs-switch", 2)]
    [InlineData("exit-vs-switch", 3)]
    [InlineData("threads-exit", 3)]
    public void LoadCr3AndMcFlushReachTheSameStates(string scenario, int vcpus)
    {
        var v411 = new ExhaustiveExplorer(Scenarios.Build(scenario, new Linux411(), vcpus));
        var v413 = new ExhaustiveExplorer(Scenarios.Build(scenario, new Linux413(), vcpus));
        Assert.Null(v411.Run().Violation);
        Assert.Null(v413.Run().Violation);
        Assert.NotEmpty(v411.EndStates);
        Assert.True(v411.EndStates.SetEquals(v413.EndStates), $"{v411.EndStates.Count} vs {v413.EndStates.Count} end states");
    }
}
