using PvMmu.Events;
using PvMmu.Xen.Abi;
using static PvMmu.Xen.Tests.TestMachine;

namespace PvMmu.Xen.Tests.Conformance;

/// <summary>
/// Guest-handle lists as Xen copies them: one address-range check up front (guest_handle_okay), then one
/// __copy_from_guest per element. A list that runs onto a page Xen cannot read stops at the first element there with
/// -EFAULT; the elements before it took effect, and *pdone says how many (do_mmu_update, do_mmuext_op,
/// do_multicall). A multicall's batch count is the handler's unsigned int with MMU_UPDATE_PREEMPTED cleared.
/// </summary>
public sealed class GuestHandleCopyTests
{
    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void MmuUpdateDoesTheRequestsBeforeTheUnreadableOne(int copyable)
    {
        var m = new TestMachine();
        var (l4, _, _, l1) = m.BuildProcess(8, m.G(20));
        Ok(m.Ext(0, MmuExtOpRequest.Pin(4, l4)));
        m.H.Events.Reset();
        MmuUpdateRequest[] reqs =
        [
            MmuUpdateRequest.Normal(l1, 1, E(m.G(21), P | U)),
            MmuUpdateRequest.Normal(l1, 2, E(m.G(22), P | U)),
            MmuUpdateRequest.Normal(l1, 3, E(m.G(23), P | U)),
        ];
        var rc = m.H.MmuUpdate(0, reqs, out var done, copyable: copyable);
        var applied = Math.Min(copyable, reqs.Length);
        Assert.Equal(copyable < reqs.Length ? -Errno.EFAULT : 0, rc);
        Assert.Equal((uint)applied, done);
        for (var i = 0; i < reqs.Length; i++)
        {
            Assert.Equal(i < applied, m.H.Entry(l1, i + 1) != 0);
        }

        // Only the requests copied are counted as requests.
        Assert.Equal(applied, m.Count(EventKind.MmuUpdateRequest));
        m.AssertInvariants();
    }

    [Fact]
    public void MmuextOpLeavesTheOpsBeforeTheFaultInEffect()
    {
        var m = new TestMachine();
        var (l4, _, _, l1) = m.BuildProcess(8, m.G(20));
        var rc = m.H.MmuextOp(0, [MmuExtOpRequest.Pin(4, l4), MmuExtOpRequest.NewBaseptr(l4), MmuExtOpRequest.Pin(1, l1)], out var done, copyable: 1);
        Assert.Equal(-Errno.EFAULT, rc);
        Assert.Equal(1u, done);
        Assert.True(m.F(l4).Pinned);
        Assert.NotEqual(l4, m.H.Vcpu(0).GuestTable);
        m.AssertInvariants();
    }

    [Fact]
    public void MulticallRunsTheEntriesBeforeTheUnreadableOneAndNoOther()
    {
        var m = new TestMachine();
        var page = m.G(31);
        const long untouched = 12345;
        MulticallEntry[] calls =
        [
            MulticallEntry.MmuUpdate(0, 1),
            MulticallEntry.MmuUpdate(1, 1),
            MulticallEntry.MmuUpdate(2, 1),
        ];
        foreach (ref var c in calls.AsSpan())
        {
            c.Result = untouched;
        }

        MmuUpdateRequest[] reqs = [MmuUpdateRequest.Normal(page, 0, 5), MmuUpdateRequest.Normal(page, 1, 6), MmuUpdateRequest.Normal(page, 2, 7)];
        Assert.Equal(-Errno.EFAULT, m.H.Multicall(0, calls, reqs, [], copyable: 2));
        Assert.Equal(0, calls[0].Result);
        Assert.Equal(0, calls[1].Result);
        Assert.Equal(untouched, calls[2].Result);
        Assert.Equal(5UL, m.H.Entry(page, 0));
        Assert.Equal(6UL, m.H.Entry(page, 1));
        Assert.Equal(0UL, m.H.Entry(page, 2));
        Assert.Equal(2, m.Count(EventKind.MulticallEntry));
        m.AssertInvariants();
    }

    [Theory]
    [InlineData(1UL, 1)]
    [InlineData((1UL << 32) | 1, 1)]
    [InlineData((1UL << 31) | 1, 1)]
    [InlineData(0xFFFF_FFFF_0000_0002UL, 2)]
    public void AMulticallBatchCountIsAnUnsignedIntWithoutThePreemptedMark(ulong countWord, int requests)
    {
        // do_mmu_update(..., unsigned int count, ...): the low 32 bits, then count &= ~MMU_UPDATE_PREEMPTED (bit 31).
        var m = new TestMachine();
        MmuUpdateRequest[] reqs = [MmuUpdateRequest.Normal(m.G(31), 0, 5), MmuUpdateRequest.Normal(m.G(31), 1, 6)];
        MulticallEntry[] calls = [MulticallEntry.MmuUpdate(0, 0)];
        calls[0].Arg1 = countWord;
        Ok(m.H.Multicall(0, calls, reqs, []));
        Assert.Equal(0, calls[0].Result);
        Assert.Equal(5UL, m.H.Entry(m.G(31), 0));
        Assert.Equal(requests > 1 ? 6UL : 0UL, m.H.Entry(m.G(31), 1));
    }
}
