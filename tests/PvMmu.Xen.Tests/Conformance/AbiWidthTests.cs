using PvMmu.Xen.Abi;
using PvMmu.Xen.Frames;
using static PvMmu.Xen.Tests.TestMachine;

namespace PvMmu.Xen.Tests.Conformance;

/// <summary>
/// The bits Xen reads of each argument and entry (public/xen.h, asm/x86_64/page.h): frame numbers are 40 bits
/// (PADDR_BITS 52), so a number at or above 2^32 is a frame past the end of RAM and never the frame its low 32 bits
/// name; INVALID_MFN in an L1 entry is -EINVAL; the slot Xen writes itself carries __PAGE_HYPERVISOR_RW.
/// </summary>
public sealed class AbiWidthTests
{
    /// <summary>The frame number 2^32 + <paramref name="mfn"/>, which a 32-bit truncation would read as <paramref name="mfn"/>.</summary>
    private static ulong Alias(uint mfn) => (1UL << 32) + mfn;

    /// <summary>An L1 entry for a 40-bit frame number, built from the architectural layout (address in bits 12–51).</summary>
    private static ulong Wide(ulong mfn, ulong flags) => (mfn << 12) | flags;

    private static (TestMachine M, uint L4, uint L1, uint Data) Pinned()
    {
        var m = new TestMachine();
        var data = m.G(20);
        var (l4, _, _, l1) = m.BuildProcess(8, data);
        Ok(m.Ext(0, MmuExtOpRequest.Pin(4, l4)));
        return (m, l4, l1, data);
    }

    [Fact]
    public void TheSelfLinearSlotIsWrittenWithPageHypervisorRwWhichHasNx()
    {
        var (m, l4, _, _) = Pinned();

        // __PAGE_HYPERVISOR_RW = _PAGE_PRESENT | _PAGE_ACCESSED | _PAGE_NX | _PAGE_DIRTY | _PAGE_RW, at their
        // architectural bit positions 0, 5, 63, 6 and 1; slot 258 is l4_table_offset(LINEAR_PT_VIRT_START).
        const ulong hypervisorRw = 0x1UL | 0x20UL | (1UL << 63) | 0x40UL | 0x2UL;
        Assert.Equal(((ulong)l4 << 12) | hypervisorRw, m.H.Entry(l4, 258));
    }

    [Fact]
    public void AnL1EntryNamingInvalidMfnIsEinvalAndOtherFramesPastRamAreEperm()
    {
        var (m, _, l1, _) = Pinned();

        // get_page_from_l1e: a frame that is not RAM is MMIO, -EPERM without I/O rights, unless it is
        // PADDR_MASK >> PAGE_SHIFT (all 40 bits set), which is -EINVAL.
        const ulong invalidMfn = (1UL << 40) - 1;
        var before = m.H.Entry(l1, 7);
        Assert.Equal(-Errno.EINVAL, m.H.MmuUpdate(0, [MmuUpdateRequest.Normal(l1, 7, Wide(invalidMfn, P))], out var done));
        Assert.Equal(0u, done);
        Assert.Equal(-Errno.EPERM, m.Mmu(0, MmuUpdateRequest.Normal(l1, 7, Wide(invalidMfn - 1, P))));
        Assert.Equal(-Errno.EPERM, m.Mmu(0, MmuUpdateRequest.Normal(l1, 7, Wide((ulong)m.H.FrameCount, P))));
        Assert.Equal(before, m.H.Entry(l1, 7));

        // Not present, the same bits are no mapping at all: written as they are.
        Ok(m.Mmu(0, MmuUpdateRequest.Normal(l1, 7, Wide(invalidMfn, 0))));
        Assert.Equal(Wide(invalidMfn, 0), m.H.Entry(l1, 7));
        m.AssertInvariants();
    }

    [Fact]
    public void AnEntryNamingAFrameAboveFourGigaframesDoesNotMapItsLow32Bits()
    {
        var (m, _, l1, _) = Pinned();
        var d = m.G(21);
        var refs = m.F(d).GeneralCount;

        // mfn_valid(2^32 + d) is false on a machine this small: MMIO, -EPERM, and d gains no reference.
        Assert.Equal(-Errno.EPERM, m.Mmu(0, MmuUpdateRequest.Normal(l1, 5, Wide(Alias(d), P | RW | U))));
        Assert.Equal(refs, m.F(d).GeneralCount);
        Assert.Equal(0UL, m.H.Entry(l1, 5));
        m.AssertInvariants();
    }

    [Fact]
    public void TheTableOfAnMmuUpdateIsTheFullFrameNumberOfItsMachineAddress()
    {
        var (m, _, l1, _) = Pinned();
        var d = m.G(21);

        // ptr >> PAGE_SHIFT is the table's frame: 2^32 + l1 is no frame of the guest's, -EINVAL, as for any frame past RAM.
        var wide = new MmuUpdateRequest((Alias(l1) << 12) | (5 << 3), E(d, P | U));
        var pastRam = new MmuUpdateRequest(((ulong)m.H.FrameCount << 12) | (5 << 3), E(d, P | U));
        Assert.Equal(-Errno.EINVAL, m.Mmu(0, pastRam));
        Assert.Equal(-Errno.EINVAL, m.Mmu(0, wide));
        Assert.Equal(0UL, m.H.Entry(l1, 5));

        // The same for MMU_MACHPHYS_UPDATE's frame.
        var machphys = new MmuUpdateRequest((Alias(d) << 12) | (ulong)MmuUpdateCommand.MachphysUpdate, 99);
        Assert.Equal(-Errno.EINVAL, m.Mmu(0, machphys));
        Assert.Equal(0UL, m.H.MachineToPhys(d));
        m.AssertInvariants();
    }

    [Fact]
    public void MmuextFrameArgumentsAreXenPfnTNotTheirLow32Bits()
    {
        var m = new TestMachine();
        var (l4, l3, l2, l1) = m.BuildProcess(8, m.G(20));
        var pastRam = (ulong)m.H.FrameCount;
        foreach (var (frame, level) in new[] { (l1, 1), (l2, 2), (l3, 3), (l4, 4) })
        {
            // Each pin of 2^32 + frame fails as the pin of a frame past RAM does, and leaves frame untouched.
            var expected = m.Ext(0, new MmuExtOpRequest(Pin(level), pastRam));
            Assert.NotEqual(0, expected);
            Assert.Equal(expected, m.Ext(0, new MmuExtOpRequest(Pin(level), Alias(frame))));
            Assert.False(m.F(frame).Pinned);
            Assert.Equal(0u, m.F(frame).TypeCount);
        }

        Ok(m.Ext(0, MmuExtOpRequest.Pin(4, l4)));
        Assert.Equal(m.Ext(0, new MmuExtOpRequest(MmuExtOp.UnpinTable, pastRam)), m.Ext(0, new MmuExtOpRequest(MmuExtOp.UnpinTable, Alias(l4))));
        Assert.True(m.F(l4).Pinned);

        // NEW_USER_BASEPTR takes 0 as "none"; 2^32 is not 0, and not a frame either.
        Ok(m.Ext(0, MmuExtOpRequest.NewUserBaseptr(l4)));
        Assert.NotEqual(0, m.Ext(0, new MmuExtOpRequest(MmuExtOp.NewUserBaseptr, 1UL << 32)));
        Assert.Equal(l4, m.H.Vcpu(0).GuestTableUser);

        // COPY_PAGE's source is arg2.src_mfn, a xen_pfn_t as well.
        var dst = m.G(30);
        Assert.NotEqual(0, m.Ext(0, new MmuExtOpRequest(MmuExtOp.CopyPage, dst, Alias(m.G(31)))));
        m.AssertInvariants();
    }

    [Fact]
    public void DecreaseReservationAndVcpuInitialiseReadFullFrameNumbers()
    {
        var m = new TestMachine();
        var d = m.G(30);
        Assert.Equal(0, m.H.DecreaseReservation(0, Alias(d)));
        Assert.True(m.F(d).Allocated);

        var (l4, _, _, _) = m.BuildProcess(8, m.G(20));
        Assert.NotEqual(0, m.H.VcpuInitialise(0, 1, Alias(l4)));
        Assert.Equal(0u, m.F(l4).TypeCount);
        m.AssertInvariants();
    }

    [Fact]
    public void FrameTableNarrowingNeverYieldsAValidFrame()
    {
        // Every number at or above 2^32 − 1 narrows to the one frame number no table holds.
        Assert.Equal(FrameTable.NoFrame, FrameTable.Narrow(uint.MaxValue));
        Assert.Equal(FrameTable.NoFrame, FrameTable.Narrow(1UL << 32));
        Assert.Equal(FrameTable.NoFrame, FrameTable.Narrow(ulong.MaxValue));
        Assert.Equal(7u, FrameTable.Narrow(7));
        Assert.False(new FrameTable(16).IsValid(FrameTable.NoFrame));
    }

    private static MmuExtOp Pin(int level) => level switch
    {
        1 => MmuExtOp.PinL1Table,
        2 => MmuExtOp.PinL2Table,
        3 => MmuExtOp.PinL3Table,
        _ => MmuExtOp.PinL4Table,
    };
}
