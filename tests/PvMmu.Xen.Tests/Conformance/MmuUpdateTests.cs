using PvMmu.Events;
using PvMmu.Xen.Abi;
using PvMmu.Xen.Frames;
using static PvMmu.Xen.Tests.TestMachine;

namespace PvMmu.Xen.Tests.Conformance;

/// <summary>HYPERVISOR_mmu_update: do_mmu_update, mod_l1_entry, mod_lN_entry (docs/xen-rules.md#mmu_update).</summary>
public sealed class MmuUpdateTests
{
    private static (TestMachine M, uint L4, uint L3, uint L2, uint L1, uint Data) Pinned(XenVersion v = XenVersion.Current)
    {
        var m = new TestMachine(version: v);
        var data = m.G(20);
        var (l4, l3, l2, l1) = m.BuildProcess(8, data);
        Ok(m.Ext(0, MmuExtOpRequest.Pin(4, l4)));
        m.H.Events.Reset();
        return (m, l4, l3, l2, l1, data);
    }

    [Fact]
    public void L1UpdateTakesAGeneralAndAWritableReference()
    {
        var (m, _, _, _, l1, _) = Pinned();
        var d = m.G(21);
        var before = m.F(d);
        Ok(m.Mmu(0, MmuUpdateRequest.Normal(l1, 5, E(d, P | RW | U))));
        var after = m.F(d);
        Assert.Equal(before.GeneralCount + 1, after.GeneralCount);
        Assert.Equal(before.TypeCount + 1, after.TypeCount);
        Assert.Equal(PageType.Writable, after.Type);

        // A user mapping is made global by adjust_guest_l1e.
        Assert.Equal(E(d, P | RW | U | PageFlags.Global), m.H.Entry(l1, 5));
        Assert.Equal(1, m.Count(EventKind.MmuUpdateRequest));
        Assert.Equal(0, m.Count(EventKind.LocalFlush) + m.Count(EventKind.RemoteFlush));
        m.AssertInvariants();
    }

    [Fact]
    public void KernelMappingGetsGuestKernelAndUser()
    {
        var (m, _, _, _, l1, _) = Pinned();
        var d = m.G(21);
        Ok(m.Mmu(0, MmuUpdateRequest.Normal(l1, 6, E(d, P))));
        Assert.Equal(E(d, P | U | PageFlags.GuestKernel), m.H.Entry(l1, 6));
    }

    [Fact]
    public void ReplacingAnEntryReleasesTheOldTarget()
    {
        var (m, _, _, _, l1, data) = Pinned();
        var before = m.F(data);
        Ok(m.Mmu(0, MmuUpdateRequest.Normal(l1, 0, 0)));
        var after = m.F(data);
        Assert.Equal(before.GeneralCount - 1, after.GeneralCount);
        Assert.Equal(before.TypeCount - 1, after.TypeCount);
        m.AssertInvariants();
    }

    [Theory]
    [InlineData(PageFlags.Pcd)]
    [InlineData(PageFlags.Pwt)]
    [InlineData(PageFlags.Pat)]
    public void DisallowedL1FlagIsEinval(ulong flag)
    {
        var (m, _, _, _, l1, _) = Pinned();
        var d = m.G(21);
        var before = m.F(d);
        Assert.Equal(-Errno.EINVAL, m.Mmu(0, MmuUpdateRequest.Normal(l1, 5, E(d, P | RW | flag))));
        Assert.Equal(before, m.F(d));
        Assert.Equal(0UL, m.H.Entry(l1, 5));
    }

    [Fact]
    public void GlobalAndGnttabAreAllowedInAnL1ForAReleaseBuild()
    {
        var (m, _, _, _, l1, _) = Pinned();
        Ok(m.Mmu(0, MmuUpdateRequest.Normal(l1, 5, E(m.G(21), P | PageFlags.Global | PageFlags.GntTab))));
    }

    [Fact]
    public void WritableMappingOfAPageTableIsEbusy()
    {
        var (m, _, l3, _, l1, _) = Pinned();
        var before = m.F(l3);
        Assert.Equal(-Errno.EBUSY, m.Mmu(0, MmuUpdateRequest.Normal(l1, 5, E(l3, P | RW))));
        Assert.Equal(before, m.F(l3));

        // Read-only is fine: a general reference only.
        Ok(m.Mmu(0, MmuUpdateRequest.Normal(l1, 5, E(l3, P))));
        Assert.Equal(before.GeneralCount + 1, m.F(l3).GeneralCount);
        Assert.Equal(before.TypeCount, m.F(l3).TypeCount);
    }

    [Fact]
    public void FramesOfXenOrAnotherDomainAreEbusyAndNonRamIsEperm()
    {
        var (m, _, _, _, l1, _) = Pinned();
        var xen = 1u;
        var other = m.H.Config.FirstOtherFrame;
        var free = m.H.Config.FirstFreeFrame;
        Assert.Equal(-Errno.EBUSY, m.Mmu(0, MmuUpdateRequest.Normal(l1, 5, E(xen, P))));
        Assert.Equal(-Errno.EBUSY, m.Mmu(0, MmuUpdateRequest.Normal(l1, 5, E(other, P | RW))));
        Assert.Equal(-Errno.EBUSY, m.Mmu(0, MmuUpdateRequest.Normal(l1, 5, E(free, P))));
        Assert.Equal(-Errno.EPERM, m.Mmu(0, MmuUpdateRequest.Normal(l1, 5, E((uint)m.H.FrameCount + 100, P))));
        Assert.Equal(1u, m.F(other).GeneralCount);
        Assert.Equal(0u, m.F(free).GeneralCount);
        m.AssertInvariants();
    }

    [Fact]
    public void FastPathChangesNoReferences()
    {
        var (m, _, _, _, l1, data) = Pinned();
        var before = m.F(data);
        Ok(m.Mmu(0, MmuUpdateRequest.Normal(l1, 0, E(data, P | RW | U | PageFlags.Accessed | PageFlags.Dirty | PageFlags.Nx))));
        Assert.Equal(before, m.F(data));
    }

    [Fact]
    public void PreserveAdKeepsTheLiveAccessedAndDirtyBits()
    {
        var (m, l4, _, _, l1, data) = Pinned();
        Ok(m.Ext(0, MmuExtOpRequest.NewBaseptr(l4)));
        Assert.Equal(Access.AccessResult.Ok, m.H.Store(0, 0x10, 7));
        Assert.NotEqual(0UL, m.H.Entry(l1, 0) & PageFlags.Dirty);
        Ok(m.Mmu(0, MmuUpdateRequest.PreserveAd(l1, 0, E(data, P | U))));
        Assert.Equal(E(data, P | U | PageFlags.Global | PageFlags.Accessed | PageFlags.Dirty), m.H.Entry(l1, 0));
        Ok(m.Mmu(0, MmuUpdateRequest.Normal(l1, 0, E(data, P | U))));
        Assert.Equal(E(data, P | U | PageFlags.Global), m.H.Entry(l1, 0));
    }

    [Theory]
    [InlineData(4)]
    [InlineData(5)]
    [InlineData(6)]
    [InlineData(7)]
    public void UnknownCommandIsEnosysAndStopsTheBatch(int cmd)
    {
        var (m, _, _, _, l1, _) = Pinned();
        var d = m.G(21);
        var rc = m.H.MmuUpdate(0, [MmuUpdateRequest.Normal(l1, 5, E(d, P)), new(((ulong)l1 << 12) | (uint)cmd, 0), MmuUpdateRequest.Normal(l1, 6, E(d, P))], out var done);
        Assert.Equal(-Errno.ENOSYS, rc);
        Assert.Equal(1u, done);
        Assert.NotEqual(0UL, m.H.Entry(l1, 5));
        Assert.Equal(0UL, m.H.Entry(l1, 6));
    }

    [Fact]
    public void BatchStopsAtTheFirstFailureWithoutRollback()
    {
        var (m, _, l3, _, l1, _) = Pinned();
        var d = m.G(21);
        var rc = m.H.MmuUpdate(0, [MmuUpdateRequest.Normal(l1, 5, E(d, P)), MmuUpdateRequest.Normal(l1, 6, E(l3, P | RW)), MmuUpdateRequest.Normal(l1, 7, E(d, P))], out var done);
        Assert.Equal(-Errno.EBUSY, rc);
        Assert.Equal(1u, done);
        Assert.NotEqual(0UL, m.H.Entry(l1, 5));
        Assert.Equal(0UL, m.H.Entry(l1, 7));
        Assert.Equal(2, m.Count(EventKind.MmuUpdateRequest));
        m.AssertInvariants();
    }

    [Fact]
    public void UpdateOfAnUnvalidatedFrameRetypesItWritableAndWritesUnchecked()
    {
        var m = new TestMachine();
        var f = m.G(30);
        Ok(m.Mmu(0, MmuUpdateRequest.Normal(f, 3, 0xDEAD_B000 | P | PageFlags.Pcd)));
        Assert.Equal(0xDEAD_B000UL | P | PageFlags.Pcd, m.H.Entry(f, 3));
        var info = m.F(f);
        Assert.Equal(PageType.Writable, info.Type);

        // The direct map's RW mapping already holds a writable reference; the update took and dropped one.
        Assert.Equal(1u, info.TypeCount);
    }

    [Fact]
    public void UpdateOfADemotedTableRetypesItAndFlushesTheCpusThatMayCacheIt()
    {
        var (m, l4, _, _, l1, _) = Pinned();
        Ok(m.Ext(1, MmuExtOpRequest.NewBaseptr(l4)));
        Ok(m.Ext(0, MmuExtOpRequest.Unpin(l4)));
        Ok(m.Ext(1, MmuExtOpRequest.NewBaseptr(m.KL4)));
        Assert.Equal(0u, m.F(l1).TypeCount);
        Assert.Equal(PageType.L1, m.F(l1).Type);

        // vCPU1's CR3 load came before the put that stamped l1 (write_ptbase, then the old table's put), so
        // NEED_FLUSH still holds for it: a retype now flushes both CPUs.
        var snapshot = m.H.Snapshot();
        m.H.Events.Reset();
        Ok(m.Mmu(0, MmuUpdateRequest.Normal(l1, 0, 0)));
        Assert.Equal(PageType.Writable, m.F(l1).Type);
        Assert.Equal(1, m.Count(EventKind.TypeChangeFlush));
        Assert.Equal(1, m.Count(EventKind.LocalFlush));
        Assert.Equal(1, m.Count(EventKind.RemoteFlush));
        m.AssertInvariants();

        // Had vCPU1 flushed after the stamp, the filter would leave it out.
        m.H.Restore(snapshot);
        Ok(m.Ext(1, new MmuExtOpRequest(MmuExtOp.TlbFlushLocal, 0)));
        m.H.Events.Reset();
        Ok(m.Mmu(0, MmuUpdateRequest.Normal(l1, 0, 0)));
        Assert.Equal(1, m.Count(EventKind.TypeChangeFlush));
        Assert.Equal(1, m.Count(EventKind.LocalFlush));
        Assert.Equal(0, m.Count(EventKind.RemoteFlush));
        m.AssertInvariants();
    }

    [Fact]
    public void ReplacingAPresentL2EntryDefersThePutAndCostsOneContinuation()
    {
        var (m, _, _, l2, l1, _) = Pinned();
        var l1b = m.G(24);
        m.MakeRo(l1b);
        m.H.Events.Reset();
        Ok(m.Mmu(0, MmuUpdateRequest.Normal(l2, 0, E(l1b, P | RW | U))));
        Assert.Equal(0u, m.F(l1).TypeCount);
        Assert.False(m.F(l1).Validated);
        Assert.Equal(1u, m.F(l1b).TypeCount);
        Assert.Equal(1, m.Count(EventKind.Continuation));
        Assert.Equal(2, m.Count(EventKind.Hypercall));
        Assert.Equal(1, m.Count(EventKind.TableDevalidated));
        m.AssertInvariants();
    }

    [Fact]
    public void Xen48ReleasesAnL2EntryImmediately()
    {
        var (m, _, _, l2, l1, _) = Pinned(XenVersion.Xen48);
        Ok(m.Mmu(0, MmuUpdateRequest.Normal(l2, 0, 0)));
        Assert.Equal(0u, m.F(l1).TypeCount);
        Assert.Equal(0, m.Count(EventKind.Continuation));
        Assert.Equal(1, m.Count(EventKind.Hypercall));
    }

    [Fact]
    public void Xen48StillDefersL3AndL4Puts()
    {
        var (m, _, l3, _, _, _) = Pinned(XenVersion.Xen48);
        Ok(m.Mmu(0, MmuUpdateRequest.Normal(l3, 0, 0)));
        Assert.Equal(1, m.Count(EventKind.Continuation));
    }

    [Fact]
    public void UpperUpdateFlushesEveryDirtyCpuSinceXsa286()
    {
        var (m, _, l3, l2, _, _) = Pinned();
        Ok(m.Mmu(0, MmuUpdateRequest.Normal(l3, 1, E(l2, P | RW | U))));
        Assert.Equal(1, m.Count(EventKind.LocalFlush));
        Assert.Equal(1, m.Count(EventKind.RemoteFlush));
        Assert.Equal(1, m.Count(EventKind.RemoteFlushTargets));

        var (m48, _, l3b, l2b, _, _) = Pinned(XenVersion.Xen48);
        Ok(m48.Mmu(0, MmuUpdateRequest.Normal(l3b, 1, E(l2b, P | RW | U))));
        Assert.Equal(0, m48.Count(EventKind.LocalFlush) + m48.Count(EventKind.RemoteFlush));
    }

    [Fact]
    public void L2EntryWithPseIsEinval()
    {
        var (m, _, _, l2, _, _) = Pinned();
        Assert.Equal(-Errno.EINVAL, m.Mmu(0, MmuUpdateRequest.Normal(l2, 1, E(m.G(24), P | PageFlags.Pse))));
    }

    [Theory]
    [InlineData(256)]
    [InlineData(258)]
    [InlineData(271)]
    public void XenL4SlotsAreEinval(int slot)
    {
        var (m, l4, _, _, _, _) = Pinned();
        Assert.Equal(-Errno.EINVAL, m.Mmu(0, MmuUpdateRequest.Normal(l4, slot, 0)));
    }

    [Fact]
    public void ValidatedL4GetsXensSelfLinearSlot()
    {
        var (m, l4, _, _, _, _) = Pinned();
        Assert.Equal(l4, PageFlags.Mfn(m.H.Entry(l4, 258)));
    }

    [Fact]
    public void ForeignDomainsAreRefusedAsXenRefusesThem()
    {
        var (m, _, _, _, l1, _) = Pinned();
        var req = MmuUpdateRequest.Normal(l1, 5, E(m.G(21), P));
        Assert.Equal(-Errno.ESRCH, m.H.MmuUpdate(0, [req], out _, foreignDom: 1));
        Assert.Equal(-Errno.ESRCH, m.H.MmuUpdate(0, [req], out _, foreignDom: 77));
        Assert.Equal(-Errno.EPERM, m.H.MmuUpdate(0, [req], out _, foreignDom: 2));
        Assert.Equal(-Errno.EPERM, m.H.MmuUpdate(0, [req], out _, foreignDom: DomainIds.Xen));

        // DOMID_IO passes the dummy XSM hook: mapping the guest's own RAM then fails in get_page_from_l1e, an
        // L2+ update fails because page owner and table owner differ, and a write to a plain page works.
        Assert.Equal(-Errno.EBUSY, m.H.MmuUpdate(0, [req], out var done, foreignDom: DomainIds.Io));
        Assert.Equal(0u, done);
        Assert.Equal(-Errno.EINVAL, m.H.MmuUpdate(0, [MmuUpdateRequest.Normal(m.KL2, 9, 0)], out _, foreignDom: DomainIds.Io));
        Ok(m.H.MmuUpdate(0, [MmuUpdateRequest.Normal(m.G(30), 9, 77)], out _, foreignDom: DomainIds.Io));
        Assert.Equal(77UL, m.H.Entry(m.G(30), 9));
        Assert.Equal(-Errno.ESRCH, m.H.MmuUpdate(0, [req], out _, foreignDom: 0));

        // Bits 16–31 name the page-table owner + 1: an unknown one is -ESRCH, the other guest (no vCPU 0) -EINVAL.
        Assert.Equal(-Errno.ESRCH, m.H.MmuUpdate(0, [req], out _, foreignDom: ((77u + 1) << 16) | DomainIds.Self));
        Assert.Equal(-Errno.EINVAL, m.H.MmuUpdate(0, [req], out _, foreignDom: ((2u + 1) << 16) | DomainIds.Self));
        Ok(m.H.MmuUpdate(0, [req], out _, foreignDom: ((1u + 1) << 16) | DomainIds.Self));
        Ok(m.H.MmuUpdate(0, [MmuUpdateRequest.Normal(l1, 5, 0)], out _));
        Assert.Equal(0UL, m.H.Entry(l1, 5));
    }

    [Fact]
    public void MachphysUpdateNeedsAnOwnedFrame()
    {
        var (m, _, _, _, _, data) = Pinned();
        Ok(m.Mmu(0, MmuUpdateRequest.Machphys(data, 1234)));
        Assert.Equal(1234UL, m.H.M2p[data]);
        Assert.Equal(-Errno.EINVAL, m.Mmu(0, MmuUpdateRequest.Machphys(1, 5)));
        Assert.Equal(-Errno.EINVAL, m.Mmu(0, MmuUpdateRequest.Machphys(m.H.Config.FirstOtherFrame, 5)));
    }

    [Fact]
    public void BadListPointerIsEfault()
    {
        var (m, _, _, _, l1, _) = Pinned();
        Assert.Equal(-Errno.EFAULT, m.H.MmuUpdate(0, [MmuUpdateRequest.Normal(l1, 5, 0)], out var done, listHandle: GuestHandles.Bad));
        Assert.Equal(0u, done);
    }
}
