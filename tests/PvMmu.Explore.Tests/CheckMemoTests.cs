using System.Reflection;
using PvMmu.Explore.Checks;
using PvMmu.Explore.Models;
using PvMmu.Linux.Exit;
using PvMmu.Xen;
using PvMmu.Xen.Frames;
using PvMmu.Xen.Invariants;

namespace PvMmu.Explore.Tests;

public sealed class CheckMemoTests
{
    /// <summary>
    /// The explorer's memo of hypervisor states checked clean skips only states it has seen: a state it has not seen
    /// (here a wrong type count, then any call, so the fingerprint is taken afresh) is checked and reported.
    /// </summary>
    [Fact]
    public void TheCheckMemoChecksAHypervisorStateItHasNotSeen()
    {
        var m = Scenarios.Build("exit-vs-switch", new Linux413(), 2)();
        var xen = new InvariantChecker();
        var memo = new CheckMemo();
        Assert.Null(ScheduleCheck.StateViolation(m, xen, memo, m.K.FramesFingerprint()));
        Assert.True(memo.KnownXen(m.K.Xen));
        var l4 = m.K.SwapperPgd;
        FramesOf(m.K.Xen).TypeCount[l4]++;
        Assert.True(memo.KnownXen(m.K.Xen), "written behind Xen's back: the version, and so the fingerprint, stay");
        _ = m.K.Xen.Load(0, 0xdead_0000_0000, out _);
        Assert.False(memo.KnownXen(m.K.Xen));
        var v = ScheduleCheck.StateViolation(m, xen, memo, m.K.FramesFingerprint());
        Assert.NotNull(v);
        Assert.Contains("xen: I4: frame " + l4, v, StringComparison.Ordinal);
        Assert.Equal(v, ScheduleCheck.StateViolation(m, xen, memo, m.K.FramesFingerprint()));
    }

    /// <summary>
    /// The hypervisor's frame table, which the model keeps internal: a write behind Xen's back is what this test is
    /// about, and no public call makes one, so it is reached by reflection rather than by opening Xen's internals to
    /// the explorer's tests.
    /// </summary>
    private static FrameTable FramesOf(Hypervisor h) =>
        (FrameTable)typeof(Hypervisor).GetField("Frames", BindingFlags.NonPublic | BindingFlags.Instance)!.GetValue(h)!;
}
