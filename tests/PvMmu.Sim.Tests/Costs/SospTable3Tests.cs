using PvMmu.Events;
using PvMmu.Sim.Costs;
using PvMmu.Sim.Workloads;

namespace PvMmu.Sim.Tests.Costs;

/// <summary>
/// Where the SOSP 2003 Table 3 ratio checks fail (docs/calibration.md, held-out checks): the model's fork overhead is
/// out of scale with SOSP's, and so are its exec and sh increments (the fitted prices), and even the most favourable
/// reading of 2003's XenoLinux (<see cref="SospTable3.Xeno2003Bound"/>) leaves both ratios outside ±30 % at them. Each test
/// compares the model with the paper's own figures, so a change that mends the ratios makes one of them fail and says
/// to un-skip the checks in <see cref="HeldOutCheckTests"/>.
/// </summary>
public sealed class SospTable3Tests
{
    private static readonly CostTable T = CostTable.Default;

    // SOSP 2003 Table 3, µs on 2.4 GHz (native → XenoLinux), scaled by clock to 3,786 MHz.
    private const double Scale = 2.4 / 3.786;
    private const double SospFork = (198.0 - 110) * Scale;
    private const double SospExec = (768.0 - 530) * Scale;
    private const double SospSh = (4800.0 - 4000) * Scale;

    private static double Model(string w) => HeldOutChecks.Overhead(T, w);

    [Fact]
    public void TheBreakdownSplitsTheOverheadTheCheckUses()
    {
        foreach (var w in SospTable3.Workloads)
        {
            var b = SospTable3.Breakdown(T, w);
            Assert.Equal(Model(w), b.Total, 9);
            Assert.Equal(b.Total, b.PhaseMicros.Values.Sum(), 9);
            Assert.DoesNotContain("setup", b.PhaseMicros.Keys);
        }

        Assert.Equal(SospFork, SospTable3.PublishedOverhead("lat-proc-fork"), 9);
        Assert.Equal(SospExec, SospTable3.PublishedOverhead("lat-proc-exec"), 9);
        Assert.Equal(SospSh, SospTable3.PublishedOverhead("lat-proc-sh"), 9);
    }

    [Fact]
    public void EveryOverheadIsOutOfScaleWithSospAtTheFittedPrices()
    {
        var fork = Model("lat-proc-fork");
        var exec = Model("lat-proc-exec");
        var sh = Model("lat-proc-sh");

        // Fork, what exec adds to it and what sh adds to exec each carry more than three times SOSP's clock-scaled
        // overhead: the price level the deltas-only fit chose, not one phase, is what is out of scale ...
        Assert.True(fork > 3 * SospFork, $"fork {fork:0.0} µs against SOSP's {SospFork:0.0} µs");
        Assert.True(exec - fork > 3 * (SospExec - SospFork), $"exec − fork {exec - fork:0.0} µs against SOSP's {SospExec - SospFork:0.0} µs");
        Assert.True(sh - exec > 3 * (SospSh - SospExec), $"sh − exec {sh - exec:0.0} µs against SOSP's {SospSh - SospExec:0.0} µs");

        // ... and fork the most: its share of sh's overhead is above SOSP's.
        Assert.True(fork / sh > SospFork / SospSh);
    }

    [Fact]
    public void TheBoundsForkIsItsPageTableWritesAndStillOutOfScale()
    {
        // Fork has no demand fault, so its bound is page-table writes and mmuext commands: each present PTE of lat_proc
        // set once in the child and cleared once at its exit, each writable one write-protected once in the parent,
        // plus the few upper-level entries of the child's new tables.
        var image = ProgramImages.LatProc;
        var writable = image.StackPages + image.Regions.Where(r => r.Writable).Sum(r => r.Pages);
        var writes = SospTable3.Xeno2003Bound(T, "lat-proc-fork", 1000) - SospTable3.Xeno2003Bound(T, "lat-proc-fork", 0);
        Assert.InRange(writes, (2 * image.TotalPages) + writable, (2 * image.TotalPages) + writable + 32);
        Assert.True(SospTable3.Xeno2003Bound(T, "lat-proc-fork") > 3 * SospFork);

        // The bounce price moves exec and sh (their demand faults), not fork.
        var dearBounce = T.With("dear-bounce", new Dictionary<EventKind, double> { [EventKind.FaultInjected] = 2 * T[EventKind.FaultInjected] });
        Assert.Equal(SospTable3.Xeno2003Bound(T, "lat-proc-fork"), SospTable3.Xeno2003Bound(dearBounce, "lat-proc-fork"), 9);
        Assert.True(SospTable3.Xeno2003Bound(dearBounce, "lat-proc-exec") > SospTable3.Xeno2003Bound(T, "lat-proc-exec"));
    }

    [Fact]
    public void EvenTheMostFavourable2003ReadingMissesBothRatiosAtTheFittedPrices()
    {
        var sospExecOverFork = (768.0 - 530) / (198 - 110);
        var sospShOverFork = (4800.0 - 4000) / (198 - 110);
        double Ratio(string w, double r) => SospTable3.Xeno2003Bound(T, w, r) / SospTable3.Xeno2003Bound(T, "lat-proc-fork", r);

        var centre = T[EventKind.MmuUpdateRequest];
        var low = T.Intervals.Single(i => i.Event == EventKind.MmuUpdateRequest).LowNs;

        // At the fitted price, and at the low end of its interval, both ratios stay below SOSP's window.
        foreach (var r in new[] { centre, low })
        {
            Assert.True(Ratio("lat-proc-exec", r) < 0.7 * sospExecOverFork, $"exec / fork {Ratio("lat-proc-exec", r):0.00} at {r} ns");
            Assert.True(Ratio("lat-proc-sh", r) < 0.7 * sospShOverFork, $"sh / fork {Ratio("lat-proc-sh", r):0.00} at {r} ns");
        }

        // sh / fork reaches the window only at a request price far below the fit's interval (the bound falls with the
        // price: a fork is mostly requests, an sh mostly bounces and hypercalls).
        var needed = SospTable3.RequestNsForShOverFork(T, 0.7 * sospShOverFork);
        Assert.InRange(needed, 0, low / 2);
        Assert.Equal(0.7 * sospShOverFork, Ratio("lat-proc-sh", needed), 6);
    }
}
