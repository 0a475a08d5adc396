using PvMmu.Events;
using PvMmu.Explore.Counterexamples;
using PvMmu.Explore.Exhaustive;
using PvMmu.Explore.Models;

namespace PvMmu.Explore.Tests;

/// <summary>
/// The xsa-286-pv64 scenario (XTF test xsa-286 on a 64-bit guest as a race of two vCPUs, <see cref="Xsa286Pv64Race"/>) under the three Xen
/// variants. Xen 4.8 has no flush after an L3 update, so vCPU 1's swap between vCPU 0's two update_va_mapping calls
/// leaves Xen's linear map on the old L2 and the PTE lands in the old L1. Current Xen flushes after every such
/// update. edcfce5591's relaxation skips the flush only for a table whose type references are its pin (and the
/// page lock); X is hooked into vCPU 0's L4 whenever Xen's linear map can go through it, so it is never free
/// floating then and the relaxation flushes exactly where current Xen does (bed7e6cad3 is for 32-bit domains only).
/// </summary>
public sealed class Xsa286Pv64RaceTests
{
    [Fact]
    public void Xen48LeavesAStaleLinearTranslationAndTheCounterexampleReplays()
    {
        var build = Scenarios.Explorable("xsa-286-pv64", "4.8", 2);
        var r = new ExhaustiveExplorer(build).Run();
        Assert.NotNull(r.Violation);
        Assert.Contains("stale linear page-table translation", r.Violation, StringComparison.Ordinal);

        // hook, load the linear map, swap on vCPU 1, write: the only order that shows it.
        Assert.Equal("v0 step,v0 step,v1 step,v0 step", string.Join(",", r.Counterexample));
        Assert.Equal(r.Counterexample, Shrinker.Shrink(build, r.Counterexample));

        var file = new ReplayFile("xsa-286-pv64", "4.8", 2, r.Counterexample, r.Violation!);
        var replay = Replayer.Run(ReplayFile.Parse(file.ToJson()));
        Assert.True(replay.Violated);

        // The same schedule on current Xen and on the relaxed one: the L3 swap flushed vCPU 0.
        Assert.False(Replayer.Run(file with { Strategy = "current" }).Violated);
        Assert.False(Replayer.Run(file with { Strategy = "relaxed-flush" }).Violated);
    }

    [Theory]
    [InlineData("current")]
    [InlineData("relaxed-flush")]
    public void NoScheduleLeavesAStaleTranslation(string variant)
    {
        var r = new ExhaustiveExplorer(Scenarios.Explorable("xsa-286-pv64", variant, 2)).Run();
        Assert.Null(r.Violation);
        Assert.True(r.Exhausted);
    }

    /// <summary>The relaxation does change something here: vCPU 1's swap before the hook (X free floating) flushes nothing.</summary>
    [Fact]
    public void TheRelaxedRuleSkipsTheFlushWhileXHangsNowhere()
    {
        foreach (var (variant, flushes) in new[] { ("current", 1L), ("relaxed-flush", 0L) })
        {
            var m = (Xsa286Pv64Race)Scenarios.Explorable("xsa-286-pv64", variant, 2)();
            m.Apply(new PvMmu.Scheduling.Move(1, PvMmu.Scheduling.MoveKind.Step));
            Assert.Equal(flushes, m.Hypervisor.Events.Total(EventKind.LocalFlush));
            Assert.Null(m.StateViolation());
        }
    }

    [Fact]
    public void UnknownVariantOrVcpuCountIsRefused()
    {
        Assert.Throws<ArgumentException>(() => Scenarios.Explorable("xsa-286-pv64", "pre-xsa-401", 2));
        Assert.Throws<ArgumentException>(() => Scenarios.Explorable("xsa-286-pv64", "current", 3));
    }
}
