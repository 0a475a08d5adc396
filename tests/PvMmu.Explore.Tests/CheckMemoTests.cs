using PvMmu.Explore.Checks;
using PvMmu.Explore.Models;
using PvMmu.Linux.Exit;
using PvMmu.Xen;
using PvMmu.Xen.Invariants;

namespace PvMmu.Explore.Tests;

public sealed class CheckMemoTests
{
    /// <summary>
    /// The explorer's memo of hypervisor states checked clean skips only states it has seen clean: a state seen clean
    /// is not checked again, a state not seen (the hypervisor after a move that changed it) is checked, and a state
    /// found in violation is never remembered, so it is checked and reported in full every time. The check here has
    /// known verdicts (it flags one planted hypervisor state and counts its calls), so the memo is tested through
    /// public calls only, without breaking the hypervisor behind its back.
    /// </summary>
    [Fact]
    public void TheCheckMemoSkipsOnlyHypervisorStatesSeenClean()
    {
        var m = Scenarios.Build("exit-vs-switch", new Linux413(), 2)();
        var check = new PlantedCheck();
        var memo = new CheckMemo();
        var start = m.K.Xen.Fingerprint();

        Assert.Null(ScheduleCheck.StateViolation(m, check, memo, m.K.FramesFingerprint()));
        Assert.Equal(1, check.Calls);
        Assert.True(memo.KnownXen(m.K.Xen));
        Assert.Null(ScheduleCheck.StateViolation(m, check, memo, m.K.FramesFingerprint()));
        Assert.Equal(1, check.Calls);

        // Move until the hypervisor's state is one the memo has not seen, and plant a violation there.
        var moves = 0;
        while (m.K.Xen.Fingerprint() == start)
        {
            Assert.True(m.Enabled().Length > 0 && moves++ < 1000, "no move changed the hypervisor's state");
            m.Apply(m.Enabled()[0]);
        }

        Assert.False(memo.KnownXen(m.K.Xen));
        check.Planted = m.K.Xen.Fingerprint();
        var v = ScheduleCheck.StateViolation(m, check, memo, m.K.FramesFingerprint());
        Assert.Equal(2, check.Calls);
        Assert.NotNull(v);
        Assert.Contains("xen: " + PlantedCheck.Message, v, StringComparison.Ordinal);
        Assert.False(memo.KnownXen(m.K.Xen));
        Assert.Equal(v, ScheduleCheck.StateViolation(m, check, memo, m.K.FramesFingerprint()));
        Assert.Equal(3, check.Calls);

        // The real check agrees that the state reached is clean: the planted violation was the only one.
        Assert.Empty(new InvariantChecker().Check(m.K.Xen));
    }

    /// <summary>A check that reports one violation in the hypervisor state of a chosen fingerprint and counts its calls.</summary>
    private sealed class PlantedCheck : IInvariantCheck
    {
        public const string Message = "planted violation";

        public ulong? Planted { get; set; }

        public int Calls { get; private set; }

        public List<string> Check(Hypervisor h)
        {
            Calls++;
            return h.Fingerprint() == Planted ? [Message] : [];
        }
    }
}
