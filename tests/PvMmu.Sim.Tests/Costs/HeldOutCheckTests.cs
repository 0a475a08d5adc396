using PvMmu.Events;
using PvMmu.Sim.Costs;

namespace PvMmu.Sim.Tests.Costs;

/// <summary>
/// The held-out checks (figures the fit never saw) under the shipped table. A check the model cannot pass today is
/// skipped with the reason, not tuned away: docs/performance.md and `pvmmu calibrate` print its figures.
/// </summary>
public sealed class HeldOutCheckTests
{
    private static readonly Lazy<IReadOnlyList<HeldOutCheck>> Checks = new(() => HeldOutChecks.Run(CostTable.Default));

    private static HeldOutCheck Named(string name) => Checks.Value.Single(c => c.Name == name);

    private const string NoUserWork = "fails: the kbuild mix has no user-mode compute or non-MMU kernel work (issue 17 item 4), so every MMU saving is a large share of a too-small whole";

    private const string ForkTooDear = "fails: the model's fork carries 4.9× SOSP's clock-scaled Xen overhead (273 against 56 µs; exec 3.0×, sh 1.7×): its fork write-protects every PTE by a trapped write into a pinned table, where 2003's XenoLinux (i386, writable page tables revalidating a whole L1 at once) paid far less per PTE";

    [Fact(Skip = NoUserWork)]
    public void KbuildImprovementOnOneVcpuIsAboutThreePercent() => Assert.True(Named("kbuild improvement, 1 vCPU").Pass);

    [Fact(Skip = NoUserWork)]
    public void KbuildImprovementOnEightVcpusIsAboutTenPercent() => Assert.True(Named("kbuild improvement, 8 vCPUs").Pass);

    [Trait("Category", "Slow")]
    [Fact]
    public void EightVcpusGainMoreThanOne()
    {
        var c = Named("kbuild improvement, 8 vCPUs less 1");
        Assert.True(c.Pass, $"8 vCPUs less 1: {c.Model:0.0} points");
        Assert.Equal(HeldOutChecks.KbuildImprovement(CostTable.Default, 8) - HeldOutChecks.KbuildImprovement(CostTable.Default, 1), c.Model, 6);
    }

    [Fact(Skip = ForkTooDear)]
    public void ExecOverForkOverheadIsSospsWithinThirtyPercent() => Assert.True(Named("Xen overhead, exec / fork").Pass);

    [Fact(Skip = ForkTooDear)]
    public void ShOverForkOverheadIsSospsWithinThirtyPercent() => Assert.True(Named("Xen overhead, sh / fork").Pass);

    [Trait("Category", "Slow")]
    [Fact]
    public void APageFaultsOverheadIsSospsWithinTwofold() => Assert.True(Named("Xen overhead per page fault").Pass);

    [Fact]
    public void AContextSwitchsOverheadIsSospsWithinTwofold() => Assert.True(Named("Xen overhead per context switch").Pass);

    [Fact]
    public void APageFaultCostsXenOneDirectMmuUpdateAndItsShareOfTheNewTables()
    {
        // MmOps.FaultIn on a pinned mm outside lazy mode: set_pte_at is one mmu_update hypercall of one request. The
        // new mapping's tables (an L1, perhaps an L2 and L3) are allocated and validated once for all its pages.
        var t = CostTable.Default;
        var direct = (t[EventKind.Hypercall] + t[EventKind.MmuUpdateRequest]) / 1000;
        var model = HeldOutChecks.PageFaultOverhead(t);
        Assert.True(model >= direct, $"{model} µs < {direct} µs");
        Assert.True(model <= direct + (20.0 / HeldOutChecks.Repeats), $"{model} µs: more than the direct update and three tables' share");
    }

    [Fact]
    public void TheSospRatiosAreTheTablesOwnFigures()
    {
        // Table 3, µs: fork 110 → 198, exec 530 → 768, sh 4000 → 4800 (native → XenoLinux).
        Assert.Equal(238.0 / 88, Named("Xen overhead, exec / fork").Published, 9);
        Assert.Equal(800.0 / 88, Named("Xen overhead, sh / fork").Published, 9);
        // Tables 5 and 4, µs, scaled from 2.4 GHz to 3,786 MHz.
        Assert.Equal((2.73 - 1.42) * 2.4 / 3.786, Named("Xen overhead per page fault").Published, 9);
        Assert.Equal((1.97 - 0.77) * 2.4 / 3.786, Named("Xen overhead per context switch").Published, 9);
    }

    [Fact]
    public void AVerdictIsItsRuleAppliedToItsFigures()
    {
        foreach (var c in Checks.Value)
        {
            var expected = c.Unit switch
            {
                "%" => c.Model > 0 && Math.Abs(c.Model - c.Published) <= HeldOutChecks.KbuildTolerancePoints,
                "pp" => c.Model > 0,
                "×" => Math.Abs(c.Model - c.Published) <= HeldOutChecks.RatioTolerance * c.Published,
                "µs" => c.Model >= c.Published / HeldOutChecks.OverheadFactor && c.Model <= c.Published * HeldOutChecks.OverheadFactor,
                _ => throw new InvalidOperationException(c.Unit),
            };
            Assert.True(expected == c.Pass, c.Name);
        }
    }
}
