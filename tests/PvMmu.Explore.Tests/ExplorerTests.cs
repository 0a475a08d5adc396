using PvMmu.Explore.Checks;
using PvMmu.Explore.Counterexamples;
using PvMmu.Explore.Exhaustive;
using PvMmu.Explore.Models;
using PvMmu.Explore.Sampling;
using PvMmu.Explore.Search;
using PvMmu.Linux.Exit;

namespace PvMmu.Explore.Tests;

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

    [Trait("Category", "Slow")]
    [Theory]
    [MemberData(nameof(UpstreamRuns))]
    public void UpstreamPathsHoldInEverySchedule(string strategy, string scenario, int vcpus)
    {
        var r = new ExhaustiveExplorer(Scenarios.Build(scenario, ExitStrategies.Find(strategy)!, vcpus)).Run();
        Assert.True(r.Violation == null, $"{r.Violation} via {string.Join(" ", r.Counterexample)}");
        Assert.True(r.Exhausted);
        Assert.True(r.DistinctStates > 10);
    }

    [Trait("Category", "Slow")]
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
    [Trait("Category", "Slow")]
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

    /// <summary>
    /// Random walks find the broken paths from any seed on 3 vCPUs, where idle moves pad the schedule; ddmin shrinks
    /// it to a 1-minimal schedule of at most 20 moves that still fails, and the replay reproduces it byte for byte.
    /// </summary>
    [Theory]
    [InlineData("BrokenNoDropMmRef", "lazy-exit", 1UL)]
    [InlineData("BrokenNoDropMmRef", "exit-vs-switch", 2UL)]
    [InlineData("BrokenCpumaskOnly", "lazy-exit", 3UL)]
    [InlineData("BrokenCpumaskOnly", "exit-vs-switch", 4UL)]
    [InlineData("BrokenCpumaskOnly", "exit-vs-switch", 5UL)]
    public void ARandomWalkCounterexampleShrinksToAOneMinimalScheduleThatReplays(string strategy, string scenario, ulong seed)
    {
        var build = Scenarios.Build(scenario, ExitStrategies.Find(strategy)!, 3);
        var r = new RandomWalkExplorer(build, seed, 1000).Run();
        Assert.NotNull(r.Violation);
        Assert.Equal(r.Violation, ScheduleCheck.Run(build, r.Counterexample).Violation);

        var shrunk = Shrinker.Shrink(build, r.Counterexample);
        Assert.InRange(shrunk.Count, 1, Math.Min(20, r.Counterexample.Count));
        var (fits, violation, at) = ScheduleCheck.Run(build, shrunk);
        Assert.True(fits);
        Assert.Contains("G1:", violation, StringComparison.Ordinal);
        Assert.Equal(shrunk.Count, at);
        for (var drop = 0; drop < shrunk.Count; drop++)
        {
            var fewer = shrunk.Where((_, i) => i != drop).ToList();
            var (f, v, _) = ScheduleCheck.Run(build, fewer);
            Assert.False(f && v != null, $"still fails without move {drop + 1}: {string.Join(" ", fewer)}");
        }

        var file = new ReplayFile(scenario, strategy, 3, shrunk, violation!);
        var again = ReplayFile.Parse(file.ToJson());
        var first = Replayer.Run(again);
        Assert.True(first.Violated);
        Assert.Equal(first.Timeline, Replayer.Run(ReplayFile.Parse(file.ToJson())).Timeline);
    }

    [Trait("Category", "Slow")]
    [Fact]
    public void TheSameSeedDrawsTheSameSchedulesAndUpstreamHoldsInThem()
    {
        var build = Scenarios.Build("threads-exit", new Linux413(), 3);
        var a = new RandomWalkExplorer(build, 42, 300).Run();
        var b = new RandomWalkExplorer(build, 42, 300).Run();
        Assert.Null(a.Violation);
        Assert.Equal(300, a.Schedules);
        Assert.Equal((a.States, a.DistinctStates, a.MaxDepth), (b.States, b.DistinctStates, b.MaxDepth));

        // The walk reaches only states the exhaustive search also reaches (which counts the start state too).
        var all = new ExhaustiveExplorer(build).Run();
        Assert.InRange(a.DistinctStates, 10, all.DistinctStates - 1);

        var broken = Scenarios.Build("lazy-exit", ExitStrategies.Find("BrokenNoDropMmRef")!, 3);
        var c = new RandomWalkExplorer(broken, 9, 1000).Run();
        var d = new RandomWalkExplorer(broken, 9, 1000).Run();
        Assert.Equal(c.Counterexample, d.Counterexample);
        Assert.Equal(c.Schedules, d.Schedules);
    }

    [Fact]
    public void AScheduleThatDoesNotFailCannotBeShrunk()
    {
        var build = Scenarios.Build("lazy-exit", new Linux61(), 2);
        var r = new RandomWalkExplorer(build, 1, 1).Run();
        Assert.Null(r.Violation);
        var m = build();
        m.Run(new PvMmu.Scheduling.SeededRandomScheduler(1));
        Assert.Throws<ArgumentException>(() => Shrinker.Shrink(build, m.History));
    }
    /// <summary>
    /// XSA-401 on the hypervisor alone: with the flush after the type cmpxchg no schedule leaves a writable TLB entry
    /// to a live L1; with it before, exactly the advisory's race does (read, map, write, unmap, cmpxchg), already
    /// minimal, and it replays byte for byte.
    /// </summary>
    [Fact]
    public void Xsa401IsSafeNowAndThePreFixOrderingLosesTheRace()
    {
        var safe = new ExhaustiveExplorer(Scenarios.Explorable("xsa-401", "current", 2)).Run();
        Assert.Null(safe.Violation);
        Assert.True(safe.Exhausted);

        var build = Scenarios.Explorable("xsa-401", "pre-xsa-401", 2);
        var r = new ExhaustiveExplorer(build).Run();
        Assert.NotNull(r.Violation);
        Assert.Contains("I8: vCPU 1 caches a writable translation", r.Violation, StringComparison.Ordinal);
        Assert.Equal("v0 step,v1 step,v1 step,v1 step,v0 step", string.Join(",", r.Counterexample));
        Assert.Equal(r.Counterexample, Shrinker.Shrink(build, r.Counterexample));

        var file = new ReplayFile("xsa-401", "pre-xsa-401", 2, r.Counterexample, r.Violation!);
        var first = Replayer.Run(ReplayFile.Parse(file.ToJson()));
        Assert.True(first.Violated);
        Assert.Contains("cmpxchg done, pin 0", first.Timeline, StringComparison.Ordinal);
        Assert.Equal(first.Timeline, Replayer.Run(ReplayFile.Parse(file.ToJson())).Timeline);

        // The same schedule under the current order: the claim's flush empties vCPU 1's TLB.
        Assert.False(Replayer.Run(file with { Strategy = "current" }).Violated);
    }
    /// <summary>
    /// PCT of depth 1 has no change point: the vCPU of highest priority runs until it cannot, so the XSA-401 race
    /// (which needs vCPU 0 preempted between its read and its cmpxchg) is never drawn, and every schedule is one
    /// vCPU's moves then the other's. Depth 2 adds one change point and finds the race.
    /// </summary>
    [Fact]
    public void PctDepthOneNeverPreemptsAndDepthTwoFindsTheXsa401Race()
    {
        var build = Scenarios.Explorable("xsa-401", "pre-xsa-401", 2);
        var orders = new HashSet<string>();
        for (ulong seed = 1; seed <= 40; seed++)
        {
            var pct = new PctScheduler(seed, 2, 1, 5);
            var m = build();
            var moves = new List<string>();
            while (!m.Done)
            {
                var enabled = m.Enabled();
                var c = enabled[pct.Choose(enabled)];
                moves.Add(c.ToString());
                m.Apply(c);
            }

            orders.Add(string.Join(",", moves));
        }

        Assert.Equal(
            ["v0 step,v0 step,v1 step,v1 step,v1 step", "v1 step,v1 step,v1 step,v0 step,v0 step"],
            orders.Order(StringComparer.Ordinal));

        var depth1 = new RandomWalkExplorer(build, 7, 500, schedulerFor: RandomWalkExplorer.Pct(7, 2, 1, 5)).Run();
        Assert.Null(depth1.Violation);
        var depth2 = new RandomWalkExplorer(build, 7, 500, schedulerFor: RandomWalkExplorer.Pct(7, 2, 2, 5)).Run();
        Assert.Contains("I8:", depth2.Violation, StringComparison.Ordinal);
        Assert.Equal(depth2.Counterexample, new RandomWalkExplorer(build, 7, 500, schedulerFor: RandomWalkExplorer.Pct(7, 2, 2, 5)).Run().Counterexample);
    }
    /// <summary>
    /// The portfolio reports the strongest search's answer whatever the threads' speeds: exhaustive when it answers;
    /// when it is cut short (here by a 3-state budget), PCT's violation, the same one on every run.
    /// </summary>
    [Fact]
    public void ThePortfolioReportsTheStrongestAnswerDeterministically()
    {
        var build = Scenarios.Explorable("exit-vs-switch", "BrokenCpumaskOnly", 3);
        var full = new PortfolioExplorer(build, 1, 200, 200, 3, 3, 16).Run();
        Assert.Equal("exhaustive", full.From);
        Assert.NotNull(full.Result.Violation);

        var cut = new PortfolioExplorer(build, 1, 200, 200, 3, 3, 16, maxStates: 3).Run();
        Assert.Null(cut.Exhaustive.Violation);
        Assert.False(cut.Exhaustive.Exhausted);
        Assert.True(cut.Exhaustive.StateCapped);
        Assert.Equal(3, cut.Exhaustive.States);
        Assert.Equal("pct", cut.From);
        Assert.Contains("G1:", cut.Result.Violation, StringComparison.Ordinal);
        for (var run = 0; run < 3; run++)
        {
            var again = new PortfolioExplorer(build, 1, 200, 200, 3, 3, 16, maxStates: 3).Run();
            Assert.Equal("pct", again.From);
            Assert.Equal(cut.Result.Counterexample, again.Result.Counterexample);
        }

        var safe = new PortfolioExplorer(Scenarios.Explorable("lazy-borrowers", "Linux61", 3), 1, 100, ExhaustiveExplorer.DefaultMaxDepth, 3, 3, 16).Run();
        Assert.Equal("exhaustive", safe.From);
        Assert.True(safe.Result.Exhausted);
        Assert.False(safe.Result.StateCapped);
        Assert.Null(safe.Result.Violation);
    }
}
