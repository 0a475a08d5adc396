using PvMmu.Explore.Counterexamples;
using PvMmu.Explore.Exhaustive;
using PvMmu.Explore.Models;

namespace PvMmu.Explore.Tests;

/// <summary>
/// The xsa-286 scenario: XTF's xsa-286 on a 32-bit PAE guest (<see cref="Xsa286Race"/>), the job that failed in
/// May 2021. The guest's top L3 is pinned and in both vCPUs' compat L4s, so its type count is 3: edcfce5591's test
/// (3 + 1 &gt; 1 + 1) still flushes, but bed7e6cad3 skips the flush after every L3 update of a 32-bit domain. Then vCPU
/// 1's swap of L3[1] between vCPU 0's two update_va_mapping calls leaves Xen's linear map of the address's L2 on the
/// old L2, and the PTE lands in the old L1: v0, v1, v0 is the only losing order (the swap before the first call
/// or after the second changes nothing), the test's own order. Xen 4.8 has no flush at all and loses the same way;
/// current Xen flushes every dirty CPU after the swap.
/// </summary>
public sealed class Xsa286RaceTests
{
    [Theory]
    [InlineData("relaxed-flush")]
    [InlineData("4.8")]
    public void TheSwapBetweenTheTwoCallsLeavesAStaleLinearMapAndTheCounterexampleReplays(string variant)
    {
        var build = Scenarios.Explorable("xsa-286", variant, 2);
        var r = new ExhaustiveExplorer(build).Run();
        Assert.NotNull(r.Violation);
        Assert.Contains("stale linear page-table mapping", r.Violation, StringComparison.Ordinal);
        Assert.Equal("v0 step,v1 step,v0 step", string.Join(",", r.Counterexample));
        Assert.Equal(r.Counterexample, Shrinker.Shrink(build, r.Counterexample));

        var file = new ReplayFile("xsa-286", variant, 2, r.Counterexample, r.Violation!);
        Assert.True(Replayer.Run(ReplayFile.Parse(file.ToJson())).Violated);

        // The same schedule on current Xen: the swap flushed vCPU 0's linear map.
        Assert.False(Replayer.Run(file with { Strategy = "current" }).Violated);
    }

    [Fact]
    public void NoScheduleLeavesAStaleTranslationOnCurrentXen()
    {
        var r = new ExhaustiveExplorer(Scenarios.Explorable("xsa-286", "current", 2)).Run();
        Assert.Null(r.Violation);
        Assert.True(r.Exhausted);
    }

    /// <summary>The write lands in T1's L1 A (XTF's l1t1) while the tables name T2's L1 B.</summary>
    [Fact]
    public void TheStaleWriteGoesToTheOldL1()
    {
        var m = (Xsa286Race)Scenarios.Explorable("xsa-286", "relaxed-flush", 2)();
        foreach (var cpu in new[] { 0, 1, 0 })
        {
            m.Apply(new PvMmu.Scheduling.Move(cpu, PvMmu.Scheduling.MoveKind.Step));
        }

        Assert.Equal(m.Data, PvMmu.Xen.Abi.PageFlags.Mfn(m.Hypervisor.Entry(m.A, 0)));
        Assert.Equal(0UL, m.Hypervisor.Entry(m.B, 0));
        Assert.NotNull(m.StateViolation());
    }

    [Fact]
    public void UnknownVariantOrVcpuCountIsRefused()
    {
        Assert.Throws<ArgumentException>(() => Scenarios.Explorable("xsa-286", "pre-xsa-401", 2));
        Assert.Throws<ArgumentException>(() => Scenarios.Explorable("xsa-286", "current", 3));
    }
}
