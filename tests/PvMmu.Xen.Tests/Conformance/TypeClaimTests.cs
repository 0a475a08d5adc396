using PvMmu.Events;
using PvMmu.Xen.Abi;
using PvMmu.Xen.Frames;
using static PvMmu.Xen.Tests.TestMachine;

namespace PvMmu.Xen.Tests.Conformance;

/// <summary>
/// _get_page_type split at its cmpxchg (ReadTypeInfo, ClaimAfterRead), as the XSA-401 race needs it: where the type
/// change's flush falls under each ordering, what a changed type_info does, and that the split changes nothing else.
/// </summary>
public sealed class TypeClaimTests
{
    /// <summary>A machine whose frame G(8) was a writable page and is mapped nowhere now: writable, count 0.</summary>
    private static (TestMachine T, uint Pg) Released(XenRules rules)
    {
        var t = new TestMachine(rules: rules);
        var pg = t.G(8);
        Ok(t.Mmu(0, MmuUpdateRequest.Normal(t.KL1, 8, 0)));
        Assert.Equal((PageType.Writable, 0u), (t.F(pg).Type, t.F(pg).TypeCount));
        t.H.Events.Reset();
        return (t, pg);
    }

    [Fact]
    public void BeforeXsa401TheFlushComesWithTheRead()
    {
        var (t, pg) = Released(XenRules.PreXsa401);
        var read = t.H.ReadTypeInfo(0, pg, PageType.L1);
        Assert.False(read.Conflict);
        Assert.Equal(1, t.Count(EventKind.TypeChangeFlush));

        var rc = t.H.ClaimAfterRead(read, h => h.MmuextOp(0, [MmuExtOpRequest.Pin(1, pg)], out _));
        Assert.Equal(0L, rc);
        Assert.Equal(1, t.Count(EventKind.TypeChangeFlush));
        Assert.Equal((PageType.L1, 1u), (t.F(pg).Type, t.F(pg).TypeCount));
        t.AssertInvariants();
    }

    [Fact]
    public void SinceXsa401TheFlushFollowsTheClaim()
    {
        var (t, pg) = Released(XenRules.Current);
        var read = t.H.ReadTypeInfo(0, pg, PageType.L1);
        Assert.Equal(0, t.Count(EventKind.TypeChangeFlush));

        var rc = t.H.ClaimAfterRead(read, h => h.MmuextOp(0, [MmuExtOpRequest.Pin(1, pg)], out _));
        Assert.Equal(0L, rc);
        Assert.Equal(1, t.Count(EventKind.TypeChangeFlush));
        t.AssertInvariants();
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void AChangedTypeInfoFailsTheCmpxchgAndTheReadIsRedone(bool preFix)
    {
        var (t, pg) = Released(preFix ? XenRules.PreXsa401 : XenRules.Current);
        var read = t.H.ReadTypeInfo(0, pg, PageType.L1);

        // vCPU 1 maps it writable in between: count 0 -> 1, so the cmpxchg fails and nothing runs.
        Ok(t.Mmu(1, MmuUpdateRequest.Normal(t.KL1, 8, E(pg, P | RW))));
        var ran = false;
        Assert.Null(t.H.ClaimAfterRead(read, h =>
        {
            ran = true;
            return 0;
        }));
        Assert.False(ran);

        // Read again: in use as writable, so the call ends with -EINVAL without a cmpxchg.
        var again = t.H.ReadTypeInfo(0, pg, PageType.L1);
        Assert.True(again.Conflict);
        Assert.Equal(-Errno.EINVAL, t.Ext(0, MmuExtOpRequest.Pin(1, pg)));
        t.AssertInvariants();
    }

    [Fact]
    public void OutsideTheSplitBothOrderingsAreTheSameHypervisor()
    {
        var (a, pgA) = Released(XenRules.Current);
        var (b, pgB) = Released(XenRules.PreXsa401);
        Assert.Equal(pgA, pgB);
        Assert.Equal(0L, a.Ext(0, MmuExtOpRequest.Pin(1, pgA)));
        Assert.Equal(0L, b.Ext(0, MmuExtOpRequest.Pin(1, pgB)));
        Assert.Equal(a.H.Fingerprint(), b.H.Fingerprint());
        Assert.Equal(a.Count(EventKind.TypeChangeFlush), b.Count(EventKind.TypeChangeFlush));
    }
}
