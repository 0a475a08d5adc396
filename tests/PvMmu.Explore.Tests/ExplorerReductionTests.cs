using PvMmu.Explore.Checks;
using PvMmu.Explore.Exhaustive;
using PvMmu.Explore.Models;
using PvMmu.Explore.Search;
using PvMmu.Scheduling;

namespace PvMmu.Explore.Tests;

/// <summary>
/// The exhaustive search's refinements: sleep sets visit exactly the states the plain search visits, with fewer
/// moves; threads reach the same verdict and states as one; a preemption bound covers a subset that grows with the
/// bound and, past the schedules' longest need, is everything.
/// </summary>
public sealed class ExplorerReductionTests
{
    public static TheoryData<string, string, int> Runs()
    {
        var d = new TheoryData<string, string, int>();
        foreach (var s in new[] { "Linux411", "Linux413", "Linux414", "Linux61", "BrokenNoDropMmRef", "BrokenCpumaskOnly" })
        {
            // At 2 vCPUs every scenario but exit-vs-fork (786,710 distinct states at 2 vCPUs since fork and exec take a step per
            // page-table page: too many to search twice per strategy in the suite; its moves are of kinds the others
            // have, fork's and exec's all shared, never local); at 3 the one whose space stays small enough to search
            // twice (plain and reduced) per strategy: lazy-borrowers, where two kernel threads borrow the dying mm.
            foreach (var scenario in Scenarios.Names.Where(n => n != "exit-vs-fork"))
            {
                d.Add(scenario, s, 2);
            }

            d.Add("lazy-borrowers", s, 3);
        }

        d.Add("xsa-401", "current", 2);
        d.Add("xsa-401", "pre-xsa-401", 2);
        return d;
    }

    /// <summary>
    /// Sleep sets lose no state: with the violation checks' early stop out of the way (every violating state is a
    /// state too), the reduced search reaches the same states and end states, and takes no more moves.
    /// </summary>
    [Trait("Category", "Slow")]
    [Theory]
    [MemberData(nameof(Runs))]
    public void SleepSetsReachExactlyTheSameStatesWithNoMoreMoves(string scenario, string strategy, int vcpus)
    {
        var build = Scenarios.Explorable(scenario, strategy, vcpus);
        var plain = new ExhaustiveExplorer(build) { PartialOrder = false };
        var reduced = new ExhaustiveExplorer(build);
        var p = plain.Run();
        var r = reduced.Run();
        Assert.Equal(p.Violation == null, r.Violation == null);
        Assert.Equal(p.Exhausted, r.Exhausted);
        Assert.True(r.SleepSets);
        Assert.False(p.SleepSets);
        Assert.Equal(0, p.Slept);
        Assert.InRange(r.States, 1, p.States);
        if (p.Violation == null)
        {
            Assert.True(p.Exhausted);
            Assert.True(plain.Visited.SetEquals(reduced.Visited), $"{plain.Visited.Count} vs {reduced.Visited.Count} states");
            Assert.True(plain.EndStates.SetEquals(reduced.EndStates), $"{plain.EndStates.Count} vs {reduced.EndStates.Count} end states");
            Assert.Equal(p.DistinctStates, r.DistinctStates);
            Assert.Equal(p.EndStates, r.EndStates);
        }
        else
        {
            // Both stop at their first violation, which is a real one: the schedule replays to it.
            Assert.Equal(r.Violation, ScheduleCheck.Run(build, r.Counterexample).Violation);
        }
    }

    /// <summary>With one vCPU idle beyond two, the kernel threads' moves commute with the rest: fewer moves taken.</summary>
    [Trait("Category", "Slow")]
    [Theory]
    [InlineData("exit-vs-switch", 3)]
    [InlineData("threads-exit", 3)]
    [InlineData("lazy-exit", 3)]
    public void SleepSetsSpareMovesWhereKernelThreadsRunBeside(string scenario, int vcpus)
    {
        var build = Scenarios.Explorable(scenario, "Linux61", vcpus);
        var p = new ExhaustiveExplorer(build) { PartialOrder = false }.Run();
        var r = new ExhaustiveExplorer(build).Run();
        Assert.True(r.Slept > 0);
        Assert.True(r.States < p.States, $"{r.States} vs {p.States}");
    }

    /// <summary>
    /// The footprint's claim, checked against the model itself: wherever it says two enabled moves commute, each
    /// leaves the other enabled and both orders reach the same fingerprint, in every reachable state.
    /// </summary>
    [Trait("Category", "Slow")]
    [Theory]
    [InlineData("lazy-exit", "Linux61", 2)]
    [InlineData("lazy-borrowers", "Linux414", 3)]
    [InlineData("exit-vs-switch", "Linux413", 2)]
    [InlineData("exit-vs-switch", "BrokenCpumaskOnly", 2)]
    [InlineData("threads-exit", "Linux411", 2)]
    [InlineData("gfp-atomic-fallback", "Linux411", 2)]
    public void MovesTheFootprintCallsIndependentCommuteInEveryReachableState(string scenario, string strategy, int vcpus)
    {
        var build = Scenarios.Explorable(scenario, strategy, vcpus);
        var m = build();
        var origin = m.Snapshot();
        var seen = new HashSet<ulong>();
        var stack = new Stack<Move[]>();
        stack.Push([]);
        var pairs = 0;
        while (stack.Count > 0)
        {
            var path = stack.Pop();
            m.Restore(origin);
            foreach (var c in path)
            {
                m.Apply(c);
            }

            var here = m.Snapshot();
            if (!seen.Add(m.Fingerprint()) || m.StateViolation() != null)
            {
                continue;
            }

            var enabled = m.Enabled().ToArray();
            foreach (var a in enabled)
            {
                foreach (var b in enabled)
                {
                    if (a == b || !m.Independent(a, b))
                    {
                        continue;
                    }

                    Assert.True(m.Independent(b, a));
                    pairs++;
                    m.Apply(a);
                    Assert.Contains(b, m.Enabled().ToArray());
                    m.Apply(b);
                    var ab = m.Fingerprint();
                    m.Restore(here);
                    m.Apply(b);
                    Assert.Contains(a, m.Enabled().ToArray());
                    m.Apply(a);
                    Assert.Equal(ab, m.Fingerprint());
                    m.Restore(here);
                }
            }

            foreach (var c in enabled)
            {
                stack.Push([.. path, c]);
            }
        }

        Assert.True(pairs > 10, $"{pairs} independent pairs");
    }

    /// <summary>The broken variants are still found with sleep sets, and the counterexample replays.</summary>
    [Theory]
    [InlineData("lazy-exit", "BrokenNoDropMmRef", 3)]
    [InlineData("lazy-exit", "BrokenCpumaskOnly", 3)]
    [InlineData("exit-vs-switch", "BrokenCpumaskOnly", 3)]
    [InlineData("xsa-401", "pre-xsa-401", 2)]
    public void TheBrokenVariantsAreStillFound(string scenario, string strategy, int vcpus)
    {
        var build = Scenarios.Explorable(scenario, strategy, vcpus);
        foreach (var threads in new[] { 1, 2 })
        {
            var r = new ExhaustiveExplorer(build) { Threads = threads }.Run();
            Assert.NotNull(r.Violation);
            Assert.Equal(r.Violation, ScheduleCheck.Run(build, r.Counterexample).Violation);
        }
    }

    /// <summary>
    /// Two threads report what one does: the same verdict, the same distinct states and end states (set sizes once
    /// complete); for a violation, the same counterexample (derived again by one thread).
    /// </summary>
    [Trait("Category", "Slow")]
    [Theory]
    [InlineData("exit-vs-switch", "Linux413", 3, true)]
    [InlineData("lazy-borrowers", "Linux61", 4, true)]
    [InlineData("exit-vs-switch", "Linux414", 2, true)]
    [InlineData("exit-vs-switch", "BrokenCpumaskOnly", 4, true)]
    [InlineData("threads-exit", "Linux414", 2, false)]
    [InlineData("lazy-exit", "Linux411", 3, true)]
    [InlineData("exit-vs-switch", "BrokenCpumaskOnly", 3, true)]
    [InlineData("lazy-exit", "BrokenNoDropMmRef", 3, false)]
    [InlineData("xsa-401", "current", 2, true)]
    public void TwoThreadsReportWhatOneDoes(string scenario, string strategy, int vcpus, bool por)
    {
        var build = Scenarios.Explorable(scenario, strategy, vcpus);
        var one = new ExhaustiveExplorer(build) { PartialOrder = por, Threads = 1 };
        var two = new ExhaustiveExplorer(build) { PartialOrder = por, Threads = 2 };
        var a = one.Run();
        var b = two.Run();
        Assert.Equal(2, b.Threads);
        Assert.Equal(a.Violation, b.Violation);
        Assert.Equal(a.Counterexample, b.Counterexample);
        Assert.Equal(a.Exhausted, b.Exhausted);
        Assert.Equal(a.DistinctStates, b.DistinctStates);
        Assert.Equal(a.EndStates, b.EndStates);
        Assert.True(one.Visited.SetEquals(two.Visited));
        Assert.True(one.EndStates.SetEquals(two.EndStates));
    }

    /// <summary>
    /// With a preemption bound the states covered grow with it, each a subset of the next; bound 0 runs each vCPU
    /// until it cannot, and a bound no schedule needs covers exactly what the unbounded search does (and says so).
    /// </summary>
    [Trait("Category", "Slow")]
    [Theory]
    [InlineData("exit-vs-switch", "Linux413", 2)]
    [InlineData("lazy-borrowers", "Linux61", 3)]
    [InlineData("lazy-exit", "Linux414", 2)]
    [InlineData("exit-vs-switch", "Linux61", 2)]
    public void APreemptionBoundCoversAGrowingSubsetAndFinallyEverything(string scenario, string strategy, int vcpus)
    {
        var build = Scenarios.Explorable(scenario, strategy, vcpus);
        var all = new ExhaustiveExplorer(build) { PartialOrder = false };
        var full = all.Run();
        Assert.Null(full.Violation);
        IReadOnlySet<ulong> before = new HashSet<ulong>();
        var cutAt = new List<bool>();
        for (var k = 0; k <= 12; k++)
        {
            foreach (var threads in new[] { 1, 2 })
            {
                var e = new ExhaustiveExplorer(build) { Preemptions = k, Threads = threads };
                var r = e.Run();
                Assert.Null(r.Violation);
                Assert.True(r.Exhausted);
                Assert.False(r.SleepSets);
                Assert.Equal(k, r.PreemptionBound);
                Assert.True(before.IsSubsetOf(e.Visited));
                Assert.True(e.Visited.IsSubsetOf(all.Visited));
                if (!r.PreemptionBoundCut)
                {
                    // The bound left nothing out: that is every schedule.
                    Assert.True(e.Visited.SetEquals(all.Visited));
                    Assert.True(e.EndStates.SetEquals(all.EndStates));
                }

                if (threads == 2)
                {
                    before = e.Visited;
                    cutAt.Add(r.PreemptionBoundCut);
                }
            }
        }

        Assert.True(cutAt[0]);
        Assert.False(cutAt[^1]);
        Assert.True(before.SetEquals(all.Visited));
    }

    /// <summary>The XSA-401 race needs vCPU 0 preempted between its read and its cmpxchg: one preemption finds it, none cannot.</summary>
    [Fact]
    public void TheXsa401RaceNeedsOnePreemption()
    {
        var build = Scenarios.Explorable("xsa-401", "pre-xsa-401", 2);
        var none = new ExhaustiveExplorer(build) { Preemptions = 0 }.Run();
        Assert.Null(none.Violation);
        Assert.True(none.Exhausted);
        Assert.True(none.PreemptionBoundCut);
        var one = new ExhaustiveExplorer(build) { Preemptions = 1 }.Run();
        Assert.Contains("I8:", one.Violation, StringComparison.Ordinal);
        Assert.Equal(Move(0), one.Counterexample[0]);
    }

    /// <summary>
    /// In a portfolio, exhaustive coverage within a preemption bound that left schedules out is not an answer: PCT is
    /// not stopped by it, and its violation is the one reported, the same on every run.
    /// </summary>
    [Fact]
    public void APortfolioDoesNotTakeABoundedCoverageForAnAnswer()
    {
        var build = Scenarios.Explorable("xsa-401", "pre-xsa-401", 2);
        for (var run = 0; run < 3; run++)
        {
            var p = new PortfolioExplorer(build, 3, 500, 200, 2, 3, 5) { Preemptions = 0 }.Run();
            Assert.Null(p.Exhaustive.Violation);
            Assert.True(p.Exhaustive.Exhausted);
            Assert.True(p.Exhaustive.PreemptionBoundCut);
            Assert.Equal("pct", p.From);
            Assert.Contains("I8:", p.Result.Violation, StringComparison.Ordinal);
        }
    }

    private static Move Move(int cpu) => new(cpu, MoveKind.Step);
}
