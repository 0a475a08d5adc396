using PvMmu.Events;
using PvMmu.Xen.Abi;
using PvMmu.Xen.Frames;
using static PvMmu.Xen.Tests.TestMachine;

namespace PvMmu.Xen.Tests.Conformance;

/// <summary>
/// HYPERVISOR_mmuext_op: every command of do_mmuext_op, with Xen's codes (docs/xen-rules.md#mmuext_op, #base-pointers).
/// </summary>
public sealed class MmuExtOpTests
{
    private static (TestMachine M, uint L4, uint L3, uint L2, uint L1, uint Data) Built(XenVersion v = XenVersion.Current)
    {
        var m = new TestMachine(version: v);
        var data = m.G(20);
        var (l4, l3, l2, l1) = m.BuildProcess(8, data);
        m.H.Events.Reset();
        return (m, l4, l3, l2, l1, data);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(4)]
    public void PinValidatesTheTreeBelowAndHoldsOneReferenceOfEachKind(int level)
    {
        var (m, l4, l3, l2, l1, data) = Built();
        var table = level switch { 1 => l1, 2 => l2, 3 => l3, _ => l4 };
        var before = m.F(table);
        Ok(m.Ext(0, MmuExtOpRequest.Pin(level, table)));
        var after = m.F(table);
        Assert.True(after.Pinned && after.Validated);
        Assert.Equal(T(level), after.Type);
        Assert.Equal(1u, after.TypeCount);
        Assert.Equal(before.GeneralCount + 1, after.GeneralCount);

        // Every table below was promoted once: level tables, each with one present guest entry (the L4 also maps KL3).
        Assert.Equal(level, m.Count(EventKind.TableValidated));
        Assert.Equal(level + (level == 4 ? 1 : 0), m.Count(EventKind.EntriesValidated));
        Assert.Equal(PageType.Writable, m.F(data).Type);
        m.AssertInvariants();
    }

    [Fact]
    public void PinningTwiceIsEinvalAndDropsTheExtraReference()
    {
        var (m, l4, _, _, _, _) = Built();
        Ok(m.Ext(0, MmuExtOpRequest.Pin(4, l4)));
        m.MakeRo(m.G(30));
        Ok(m.Ext(0, MmuExtOpRequest.Pin(1, m.G(30))));
        var l4Before = m.F(l4);
        m.H.Events.Reset();
        Assert.Equal(-Errno.EINVAL, m.Ext(0, MmuExtOpRequest.Pin(4, l4)));
        Assert.Equal(l4Before, m.F(l4));

        // L2–L4: the put goes through old_guest_table and a continuation; an L1's is immediate.
        Assert.Equal(1, m.Count(EventKind.Continuation));
        var l1Before = m.F(m.G(30));
        m.H.Events.Reset();
        Assert.Equal(-Errno.EINVAL, m.Ext(0, MmuExtOpRequest.Pin(1, m.G(30))));
        Assert.Equal(l1Before, m.F(m.G(30)));
        Assert.Equal(0, m.Count(EventKind.Continuation));
        m.AssertInvariants();
    }

    [Fact]
    public void PinOfAFrameStillMappedWritableIsEinval()
    {
        var m = new TestMachine();
        var f = m.G(30);
        var before = m.F(f);
        Assert.Equal(-Errno.EINVAL, m.Ext(0, MmuExtOpRequest.Pin(1, f)));
        Assert.Equal(before, m.F(f));
        m.MakeRo(f);
        Ok(m.Ext(0, MmuExtOpRequest.Pin(1, f)));
    }

    [Fact]
    public void PinOfATableAlreadyTypedAtAnotherLevelIsEinval()
    {
        var (m, _, _, l2, _, _) = Built();
        Ok(m.Ext(0, MmuExtOpRequest.Pin(2, l2)));
        Assert.Equal(-Errno.EINVAL, m.Ext(0, MmuExtOpRequest.Pin(1, l2)));
        Assert.Equal(-Errno.EINVAL, m.Ext(0, MmuExtOpRequest.Pin(3, l2)));
    }

    [Fact]
    public void PinOfAFrameNotOwnedIsEinval()
    {
        var m = new TestMachine();
        Assert.Equal(-Errno.EINVAL, m.Ext(0, MmuExtOpRequest.Pin(1, 1)));
        Assert.Equal(-Errno.EINVAL, m.Ext(0, MmuExtOpRequest.Pin(1, m.H.Config.FirstOtherFrame)));
        Assert.Equal(-Errno.EINVAL, m.Ext(0, MmuExtOpRequest.Pin(1, (uint)m.H.FrameCount + 5)));
    }

    [Fact]
    public void PinPassesValidationErrorsThrough()
    {
        var m = new TestMachine();
        var l1 = m.G(30);
        m.Poke(l1, 0, E(m.G(31), P | RW));
        m.Poke(l1, 1, E(m.G(32), P | PageFlags.Pcd));
        m.MakeRo(l1);
        var before31 = m.F(m.G(31));
        Assert.Equal(-Errno.EINVAL, m.Ext(0, MmuExtOpRequest.Pin(1, l1)));

        // Slot 0's references were released again; slot 0 stays as Xen adjusted it (docs/xen-rules.md#validation).
        Assert.Equal(before31, m.F(m.G(31)));
        Assert.Equal(E(m.G(31), P | RW | U | PageFlags.GuestKernel), m.H.Entry(l1, 0));
        Assert.Equal(PageType.None, m.F(l1).Type);
        Assert.Equal(0u, m.F(l1).TypeCount);
        m.AssertInvariants();
    }

    [Fact]
    public void FailedUpperValidationPastSlotZeroKeepsTheTypeWithNoCount()
    {
        var m = new TestMachine();
        var l2 = m.G(30);
        var l1 = m.G(31);
        m.Poke(l2, 0, E(l1, P | RW));
        m.Poke(l2, 1, E(m.G(33), P | RW));
        m.MakeRo(l2, l1);
        m.H.Events.Reset();
        Assert.Equal(-Errno.EINVAL, m.Ext(0, MmuExtOpRequest.Pin(2, l2)));
        Assert.Equal(PageType.L2, m.F(l2).Type);
        Assert.Equal(0u, m.F(l2).TypeCount);
        Assert.False(m.F(l2).Validated);
        Assert.Equal(0u, m.F(l1).TypeCount);
        Assert.Equal(1, m.Count(EventKind.Continuation));
        m.AssertInvariants();
    }

    [Fact]
    public void UnpinOfAnUnusedTreeDemotesItAll()
    {
        var (m, l4, l3, l2, l1, data) = Built();
        Ok(m.Ext(0, MmuExtOpRequest.Pin(4, l4)));
        var kl3 = m.F(m.KL3);
        m.H.Events.Reset();
        Ok(m.Ext(0, MmuExtOpRequest.Unpin(l4)));
        foreach (var t in new[] { l4, l3, l2, l1 })
        {
            Assert.Equal(0u, m.F(t).TypeCount);
            Assert.False(m.F(t).Validated);
        }

        Assert.Equal(4, m.Count(EventKind.TableDevalidated));
        Assert.Equal(kl3.TypeCount - 1, m.F(m.KL3).TypeCount);
        Assert.Equal(PageType.Writable, m.F(data).Type);
        m.AssertInvariants();
    }

    [Fact]
    public void UnpinOfATableThatIsNotPinnedIsEinval()
    {
        var (m, l4, _, _, _, _) = Built();
        Assert.Equal(-Errno.EINVAL, m.Ext(0, MmuExtOpRequest.Unpin(l4)));
        Assert.Equal(-Errno.EINVAL, m.Ext(0, MmuExtOpRequest.Unpin(1)));
    }

    [Fact]
    public void NewBaseptrOfAnUnpinnedTreeValidatesAndTheOldOneIsDemotedOnSwitchAway()
    {
        var (m, l4, _, _, l1, _) = Built();
        Ok(m.Ext(0, MmuExtOpRequest.NewBaseptr(l4)));
        Assert.Equal(4, m.Count(EventKind.TableValidated));
        Assert.Equal(1, m.Count(EventKind.Cr3Load));
        Assert.Equal(l4, m.H.Vcpu(0).GuestTable);
        Assert.Equal(1u, m.F(l1).TypeCount);
        m.H.Events.Reset();
        Ok(m.Ext(0, MmuExtOpRequest.NewBaseptr(m.KL4)));
        Assert.Equal(4, m.Count(EventKind.TableDevalidated));
        Assert.Equal(0u, m.F(l1).TypeCount);
        m.AssertInvariants();
    }

    [Fact]
    public void NewBaseptrOfTheSameTableOnlyReloadsCr3()
    {
        var m = new TestMachine();
        var before = m.F(m.KL4);
        Ok(m.Ext(0, MmuExtOpRequest.NewBaseptr(m.KL4)));
        Assert.Equal(before, m.F(m.KL4));
        Assert.Equal(1, m.Count(EventKind.Cr3Load));
        // The reload flushes the local TLB; it is counted as a CR3 load, not as a flush op.
        Assert.Equal(0, m.Count(EventKind.LocalFlush));
    }

    [Fact]
    public void NewBaseptrErrors()
    {
        var (m, _, l3, _, _, _) = Built();
        Assert.Equal(-Errno.EINVAL, m.Ext(0, MmuExtOpRequest.NewBaseptr(1)));
        Ok(m.Ext(0, MmuExtOpRequest.Pin(3, l3)));
        Assert.Equal(-Errno.EINVAL, m.Ext(0, MmuExtOpRequest.NewBaseptr(l3)));
        Assert.Equal(-Errno.EPERM, m.H.MmuextOp(0, [MmuExtOpRequest.NewBaseptr(m.KL4)], out _, foreignDom: 2));
        Assert.Equal(m.KL4, m.H.Vcpu(0).GuestTable);
    }

    [Fact]
    public void NewUserBaseptrTakesAnL4ReferenceAndZeroMeansNone()
    {
        var (m, l4, _, _, _, _) = Built();
        Ok(m.Ext(0, MmuExtOpRequest.NewUserBaseptr(l4)));
        Assert.Equal(l4, m.H.Vcpu(0).GuestTableUser);
        Assert.Equal(1u, m.F(l4).TypeCount);
        Assert.Equal(0, m.Count(EventKind.Cr3Load));
        Ok(m.Ext(0, MmuExtOpRequest.NewUserBaseptr(l4)));
        Assert.Equal(1u, m.F(l4).TypeCount);
        Ok(m.Ext(0, MmuExtOpRequest.NewUserBaseptr(0)));
        Assert.Equal(0u, m.F(l4).TypeCount);
        m.AssertInvariants();
    }

    [Fact]
    public void FlushOpsFlushWhatTheyName()
    {
        var m = new TestMachine(vcpus: 3);
        Ok(m.Ext(0, new MmuExtOpRequest(MmuExtOp.TlbFlushLocal, 0)));
        Assert.Equal((1, 0), (m.Count(EventKind.LocalFlush), m.Count(EventKind.RemoteFlush)));
        m.H.Events.Reset();
        Ok(m.Ext(0, new MmuExtOpRequest(MmuExtOp.TlbFlushAll, 0)));
        Assert.Equal((1, 1, 2L), (m.Count(EventKind.LocalFlush), m.Count(EventKind.RemoteFlush), m.Count(EventKind.RemoteFlushTargets)));
        m.H.Events.Reset();
        Ok(m.Ext(0, MmuExtOpRequest.FlushMulti(0b110)));
        Assert.Equal((0, 1, 2L), (m.Count(EventKind.LocalFlush), m.Count(EventKind.RemoteFlush), m.Count(EventKind.RemoteFlushTargets)));
        m.H.Events.Reset();
        Ok(m.Ext(0, MmuExtOpRequest.InvlpgMulti(m.DirectVa(m.G(9)), 0b011)));
        Assert.Equal((1, 1), (m.Count(EventKind.LocalInvlpg), m.Count(EventKind.RemoteFlush)));
        m.H.Events.Reset();
        Ok(m.Ext(0, new MmuExtOpRequest(MmuExtOp.InvlpgAll, m.DirectVa(m.G(9)))));
        Ok(m.Ext(0, new MmuExtOpRequest(MmuExtOp.InvlpgLocal, m.DirectVa(m.G(9)))));
        Assert.Equal((2, 1), (m.Count(EventKind.LocalInvlpg), m.Count(EventKind.RemoteFlush)));

        // Each flush op is done as it is met: two in one batch are two flushes.
        m.H.Events.Reset();
        Ok(m.Ext(0, new MmuExtOpRequest(MmuExtOp.TlbFlushAll, 0), new MmuExtOpRequest(MmuExtOp.TlbFlushAll, 0)));
        Assert.Equal(2, m.Count(EventKind.RemoteFlush));
    }

    [Fact]
    public void NonCanonicalInvlpgIsIgnored()
    {
        var m = new TestMachine();
        Ok(m.Ext(0, new MmuExtOpRequest(MmuExtOp.InvlpgLocal, 1UL << 63)));
        Ok(m.Ext(0, new MmuExtOpRequest(MmuExtOp.InvlpgAll, 1UL << 63)));
        Assert.Equal(0, m.Count(EventKind.LocalInvlpg) + m.Count(EventKind.RemoteFlush));
    }

    [Fact]
    public void MultiFlushWithABadBitmapPointerIsEinval()
    {
        var m = new TestMachine();
        Assert.Equal(-Errno.EINVAL, m.Ext(0, new MmuExtOpRequest(MmuExtOp.TlbFlushMulti, 0, GuestHandles.Bad, 0b11)));
        Assert.Equal(-Errno.EINVAL, m.Ext(0, new MmuExtOpRequest(MmuExtOp.InvlpgMulti, 0x1000, GuestHandles.Bad, 0b11)));
        Assert.Equal(0, m.Count(EventKind.LocalFlush) + m.Count(EventKind.RemoteFlush));
    }

    [Fact]
    public void CacheFlushesNeedIoRights()
    {
        var m = new TestMachine();
        Assert.Equal(-Errno.EACCES, m.Ext(0, new MmuExtOpRequest(MmuExtOp.FlushCache, 0)));
        Assert.Equal(-Errno.EINVAL, m.Ext(0, new MmuExtOpRequest(MmuExtOp.FlushCacheGlobal, 0)));
    }

    [Theory]
    [InlineData(0x1000UL, 16UL, 0)]
    [InlineData(0x1008UL, 16UL, -Errno.EINVAL)]
    [InlineData(0x1000UL, 8193UL, -Errno.EINVAL)]
    [InlineData(0xFFFF800000001000UL, 1UL, -Errno.EINVAL)]
    [InlineData(0x1008UL, 0UL, 0)]
    public void SetLdtChecksItsArguments(ulong va, ulong entries, int rc)
    {
        var m = new TestMachine();
        Assert.Equal(rc, m.Ext(0, new MmuExtOpRequest(MmuExtOp.SetLdt, va, entries)));
    }

    [Fact]
    public void ClearAndCopyPageNeedAWritableType()
    {
        var (m, l4, _, _, _, _) = Built();
        Ok(m.Ext(0, MmuExtOpRequest.Pin(4, l4)));
        var f = m.G(30);
        Ok(m.Mmu(0, MmuUpdateRequest.Normal(f, 3, 0x1234)));
        Ok(m.Ext(0, new MmuExtOpRequest(MmuExtOp.CopyPage, m.G(31), f)));
        Assert.Equal(0x1234UL, m.H.Entry(m.G(31), 3));
        Ok(m.Ext(0, new MmuExtOpRequest(MmuExtOp.ClearPage, f)));
        Assert.Equal(0UL, m.H.Entry(f, 3));
        Assert.Equal(-Errno.EINVAL, m.Ext(0, new MmuExtOpRequest(MmuExtOp.ClearPage, l4)));
        Assert.Equal(-Errno.EINVAL, m.Ext(0, new MmuExtOpRequest(MmuExtOp.CopyPage, l4, f)));
        Assert.Equal(-Errno.EINVAL, m.Ext(0, new MmuExtOpRequest(MmuExtOp.CopyPage, f, 1)));
        m.AssertInvariants();
    }

    [Theory]
    [InlineData(MmuExtOp.MarkSuper, -Errno.EOPNOTSUPP)]
    [InlineData(MmuExtOp.UnmarkSuper, -Errno.EOPNOTSUPP)]
    [InlineData((MmuExtOp)14, -Errno.ENOSYS)]
    [InlineData((MmuExtOp)21, -Errno.ENOSYS)]
    [InlineData((MmuExtOp)0xFFFF, -Errno.ENOSYS)]
    public void RemovedAndUnknownCommands(MmuExtOp cmd, int rc)
    {
        var m = new TestMachine();
        Assert.Equal(rc, m.H.MmuextOp(0, [new MmuExtOpRequest(cmd, m.G(30))], out var done));
        Assert.Equal(0u, done);
    }

    [Fact]
    public void ForeignDomainsAreRefusedBeforeAnyOp()
    {
        var m = new TestMachine();
        var op = new MmuExtOpRequest(MmuExtOp.TlbFlushLocal, 0);
        Assert.Equal(-Errno.ESRCH, m.H.MmuextOp(0, [op], out _, foreignDom: 1));
        Assert.Equal(-Errno.ESRCH, m.H.MmuextOp(0, [op], out _, foreignDom: 99));
        Assert.Equal(-Errno.EPERM, m.H.MmuextOp(0, [op], out _, foreignDom: 2));
        Assert.Equal(-Errno.EPERM, m.H.MmuextOp(0, [op], out _, foreignDom: DomainIds.Io));
        Assert.Equal(-Errno.EPERM, m.H.MmuextOp(0, [op], out _, foreignDom: DomainIds.Xen));
        Assert.Equal(-Errno.EFAULT, m.H.MmuextOp(0, [op], out _, listHandle: GuestHandles.Bad));
        Assert.Equal(0, m.Count(EventKind.LocalFlush));
    }

    [Fact]
    public void UnpinWhileAnotherVcpuHasTheL4LoadedSucceedsAndLeavesTheTreeValidated()
    {
        var (m, l4, _, _, l1, _) = Built();
        Ok(m.Ext(0, MmuExtOpRequest.Pin(4, l4)));
        Ok(m.Ext(1, MmuExtOpRequest.NewBaseptr(l4)));
        Ok(m.Ext(0, MmuExtOpRequest.Unpin(l4)));
        Assert.True(m.F(l4).Validated && m.F(l1).Validated);
        Assert.Equal(-Errno.EBUSY, m.H.UpdateVaMapping(0, m.DirectVa(l1), E(l1, P | RW), UvmFlags.None));
        Assert.Equal(-Errno.EINVAL, m.Ext(0, MmuExtOpRequest.Unpin(l4)));

        // Re-pinning while vCPU1 still has it succeeds.
        Ok(m.Ext(0, MmuExtOpRequest.Pin(4, l4)));
        Assert.Equal(2u, m.F(l4).TypeCount);
        m.AssertInvariants();
    }

    [Fact]
    public void AFailedValidationZeroesTheTlbStampSoTheNextRetypeFlushesNobody()
    {
        // tlbflush_timestamp shares storage with linear_pt_count, which a fresh validation zeroes.
        var m = new TestMachine();
        uint f = m.G(30), y = m.G(31);
        m.Poke(f, 0, E(y, P));
        m.MakeRo(f);
        Ok(m.Ext(0, MmuExtOpRequest.Pin(1, f)));
        Ok(m.Ext(0, MmuExtOpRequest.Unpin(f)));
        var stamp = m.F(f).TlbStamp;
        Assert.NotEqual(0u, stamp);

        // y, which f's slot 0 maps, leaves the guest: f's revalidation will fail at slot 0. No flush on the way.
        Ok(m.H.UpdateVaMapping(0, m.DirectVa(y), 0, UvmFlags.None));
        Assert.Equal(1, m.H.DecreaseReservation(0, y));
        Assert.True(m.F(y).Free);
        m.H.Events.Reset();
        Assert.Equal(-Errno.EBUSY, m.Ext(0, MmuExtOpRequest.Pin(1, f)));
        Assert.Equal(0, m.Count(EventKind.TypeChangeFlush));
        Assert.Equal(PageType.None, m.F(f).Type);
        Assert.Equal(0u, m.F(f).TlbStamp);

        // vCPU1 has not flushed since f was stamped, yet retyping f to writable flushes no one.
        Assert.True(m.H.Vcpu(1).TlbFlushTime <= stamp);
        Ok(m.H.UpdateVaMapping(0, m.DirectVa(f), E(f, P | RW), UvmFlags.None));
        Assert.Equal(PageType.Writable, m.F(f).Type);
        Assert.Equal(0, m.Count(EventKind.TypeChangeFlush));
        Assert.Equal(0, m.Count(EventKind.RemoteFlush));
        m.AssertInvariants();
    }
}
