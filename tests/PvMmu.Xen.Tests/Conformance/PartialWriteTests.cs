using PvMmu.Events;
using PvMmu.Xen.Abi;
using PvMmu.Xen.Access;
using static PvMmu.Xen.Tests.TestMachine;

namespace PvMmu.Xen.Tests.Conformance;

/// <summary>
/// 4-byte guest stores. To a plain page they replace one half of the 8-byte word. To a read-only mapped, in-use L1
/// they trap, and ptwr_emulated_update turns the sub-word write into a full-word one (the caller's four bytes over
/// the entry as it stands) before validating it like any new L1 entry.
/// </summary>
public sealed class PartialWriteTests
{
    private const ulong Low = 0xFFFF_FFFFUL;

    [Theory]
    [InlineData(0)]
    [InlineData(4)]
    public void AFourByteStoreToAPlainPageReplacesOneHalf(int offset)
    {
        var m = new TestMachine();
        var d = m.G(30);
        var va = m.DirectVa(d) + 16;
        Assert.Equal(AccessResult.Ok, m.H.Store(0, va, 0x1111_2222_3333_4444UL));
        Assert.Equal(AccessResult.Ok, m.H.Store4(0, va + (ulong)offset, 0xFFFF_FFFF_DEAD_BEEFUL));

        // Little-endian: offset 0 is bits 0–31, offset 4 bits 32–63; only the value's low 32 bits are stored.
        var expected = offset == 0 ? 0x1111_2222_DEAD_BEEFUL : 0xDEAD_BEEF_3333_4444UL;
        Assert.Equal(expected, m.H.Entry(d, 2));
    }

    [Fact]
    public void AMisalignedFourByteStoreFaults()
    {
        var m = new TestMachine();
        Assert.Equal(AccessResult.PageFault, m.H.Store4(0, m.DirectVa(m.G(30)) + 2, 1));
        Assert.Equal(1, m.Count(EventKind.FaultInjected));
    }

    [Fact]
    public void PtwrWidensALowHalfStoreWithTheEntrysHighHalf()
    {
        var m = new TestMachine();
        var data = m.G(20);
        var (l4, _, _, l1) = m.BuildProcess(8, data);
        Ok(m.Ext(0, MmuExtOpRequest.Pin(4, l4)));
        var old = m.H.Entry(l1, 0);
        var d2 = m.G(21);
        var dataRefs = m.F(data).GeneralCount;
        var d2Refs = m.F(d2).GeneralCount;
        m.H.Events.Reset();

        // The low half carries the flags and address bits 12–31: a read-only user mapping of d2.
        var low = E(d2, P | U) & Low;
        Assert.Equal(AccessResult.Emulated, m.H.Store4(0, m.DirectVa(l1), low));

        // The widened entry is old's high half over the new low half; adjust_guest_l1e then adds G to a user entry.
        var widened = (old & ~Low) | low;
        Assert.Equal(widened | PageFlags.Global, m.H.Entry(l1, 0));
        Assert.Equal(E(d2, P | U | PageFlags.Global), m.H.Entry(l1, 0));
        Assert.Equal(dataRefs - 1, m.F(data).GeneralCount);
        Assert.Equal(d2Refs + 1, m.F(d2).GeneralCount);
        Assert.Equal(1, m.Count(EventKind.PtwrEmulation));
        m.AssertInvariants();
    }

    [Fact]
    public void PtwrWidensAHighHalfStoreWithTheEntrysLowHalf()
    {
        var m = new TestMachine();
        var data = m.G(20);
        var (l4, _, _, l1) = m.BuildProcess(8, data);
        Ok(m.Ext(0, MmuExtOpRequest.Pin(4, l4)));
        var old = m.H.Entry(l1, 0);

        // Bit 31 of the high half is PTE bit 63, NX: the same frame, now not executable.
        Assert.Equal(AccessResult.Emulated, m.H.Store4(0, m.DirectVa(l1) + 4, ((old >> 32) | 0x8000_0000UL) & Low));
        Assert.Equal(old | (1UL << 63), m.H.Entry(l1, 0));

        // A high half naming a frame past RAM widens to an MMIO mapping: not emulated, the guest takes the fault.
        Assert.Equal(AccessResult.PageFault, m.H.Store4(0, m.DirectVa(l1) + 4, 0x0000_0100));
        Assert.Equal(old | (1UL << 63), m.H.Entry(l1, 0));
        m.AssertInvariants();
    }
}
