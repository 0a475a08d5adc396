using PvMmu.Events;
using PvMmu.Xen.Abi;
using PvMmu.Xen.Frames;
using PvMmu.Xen.Invariants;

namespace PvMmu.Xen.Tests.Conformance;

/// <summary>
/// A 32-bit PAE PV guest as far as the model has one (docs/model.md "32-bit PV guests"), against Xen 4.17's code:
/// setup_compat_l4 (a Xen page per vCPU, type L4, count 1, both guest_table and guest_table_user), new_guest_cr3's
/// compat path (mod_l4_entry of slot 0 with P|RW|U|A, a type reference on the L3), promote_l3_table's four slots
/// (slot 3 required, 4–511 cleared), mod_l3_entry's refusal of slots 3 and up and of the compat flags
/// (l3_disallow_mask 0xFFFFF198), adjust_guest_l3e's U|RW, and the flush after the L3 update under each rule set.
/// </summary>
public sealed class CompatGuestTests
{
    private const ulong P = PageFlags.Present;
    private const ulong RW = PageFlags.Rw;

    private static Hypervisor NewPv32(XenRules? rules = null, int vcpus = 2) => new(new HypervisorConfig
    {
        Vcpus = vcpus,
        Pv32 = true,
        XenFrames = 1 + vcpus,
        GuestFrames = 8,
        OtherFrames = 0,
        FreeFrames = 0,
        Rules = rules,
    });

    private static uint G(Hypervisor h, int i) => h.FirstGuestFrame + (uint)i;

    /// <summary>Top L3 = G0 with slot 3 → L2 G1 and slot 1 → L2 G2; pinned and loaded on every vCPU.</summary>
    private static uint BuildTop(Hypervisor h)
    {
        uint top = G(h, 0), xenL2 = G(h, 1), l2 = G(h, 2);
        h.BuilderWrite(top, 3, PageFlags.Entry(xenL2, P | RW));
        h.BuilderWrite(top, 1, PageFlags.Entry(l2, P | RW));
        Assert.Equal(0, h.MmuextOp(0, [MmuExtOpRequest.Pin(3, top)], out _));
        for (var v = 0; v < h.VcpuCount; v++)
        {
            Assert.Equal(0, h.MmuextOp(v, [MmuExtOpRequest.NewBaseptr(top)], out _));
        }

        return top;
    }

    private static void AssertInvariants(Hypervisor h) => Assert.Empty(new InvariantChecker().Check(h));

    [Fact]
    public void EachVcpusCompatL4HoldsTheTopL3InSlot0()
    {
        var h = NewPv32();
        var top = BuildTop(h);
        for (var v = 0; v < 2; v++)
        {
            var l4 = h.VcpuGuestTable(v);
            Assert.Equal(DomainIds.Xen, h.Frame(l4).Owner);
            Assert.Equal(PageType.L4, h.Frame(l4).Type);
            Assert.Equal(1u, h.Frame(l4).TypeCount);
            Assert.Equal(PageFlags.Entry(top, P | RW | PageFlags.User | PageFlags.Accessed), h.Entry(l4, 0));
            Assert.Equal(l4, h.Vcpu(v).GuestTableUser);
        }

        Assert.NotEqual(h.VcpuGuestTable(0), h.VcpuGuestTable(1));

        // The pin and one slot 0 per vCPU.
        Assert.Equal(1u + 2u, h.Frame(top).TypeCount);

        // adjust_guest_l3e of a 32-bit domain adds U and RW.
        Assert.Equal(PageFlags.Entry(G(h, 2), P | RW | PageFlags.User), h.Entry(top, 1));
        AssertInvariants(h);
    }

    [Fact]
    public void APaeL3NeedsSlot3AndLosesSlots4Up()
    {
        var h = NewPv32();
        uint top = G(h, 0), l2 = G(h, 2);
        h.BuilderWrite(top, 0, PageFlags.Entry(l2, P | RW));
        Assert.Equal(-Errno.EINVAL, h.MmuextOp(0, [MmuExtOpRequest.Pin(3, top)], out _));
        Assert.Equal(0u, h.Frame(l2).TypeCount);

        h.BuilderWrite(top, 3, PageFlags.Entry(G(h, 1), P | RW));
        h.BuilderWrite(top, 7, PageFlags.Entry(G(h, 4), P | RW));
        Assert.Equal(0, h.MmuextOp(0, [MmuExtOpRequest.Pin(3, top)], out _));
        Assert.Equal(0UL, h.Entry(top, 7));
        Assert.Equal(0u, h.Frame(G(h, 4)).TypeCount);
        Assert.Equal(1u, h.Frame(l2).TypeCount);
        AssertInvariants(h);

        // The same tables on a 64-bit guest: slot 3 may be empty and slot 7 is an L3 slot like any other.
        var h64 = new Hypervisor(new HypervisorConfig { Vcpus = 1, XenFrames = 1, GuestFrames = 8, OtherFrames = 0, FreeFrames = 0 });
        h64.BuilderWrite(G(h64, 0), 0, PageFlags.Entry(G(h64, 2), P | RW));
        h64.BuilderWrite(G(h64, 0), 7, PageFlags.Entry(G(h64, 4), P | RW));
        Assert.Equal(0, h64.MmuextOp(0, [MmuExtOpRequest.Pin(3, G(h64, 0))], out _));
        Assert.Equal(1u, h64.Frame(G(h64, 4)).TypeCount);
    }

    [Fact]
    public void ModL3EntryRefusesXensSlotsAndTheCompatFlags()
    {
        var h = NewPv32();
        var top = BuildTop(h);
        var other = G(h, 3);
        Assert.Equal(-Errno.EINVAL, h.MmuUpdate(0, [MmuUpdateRequest.Normal(top, 3, PageFlags.Entry(other, P | RW))], out _));
        Assert.Equal(-Errno.EINVAL, h.MmuUpdate(0, [MmuUpdateRequest.Normal(top, 4, 0)], out _));

        // NX is allowed in a 64-bit L3 entry (base_disallow_mask) and refused in a compat one (0xFFFFF198).
        Assert.Equal(-Errno.EINVAL, h.MmuUpdate(0, [MmuUpdateRequest.Normal(top, 2, PageFlags.Entry(other, P | RW | PageFlags.Nx))], out _));
        Assert.Equal(0u, h.Frame(other).TypeCount);
        Assert.Equal(0, h.MmuUpdate(0, [MmuUpdateRequest.Normal(top, 2, PageFlags.Entry(other, P))], out _));
        Assert.Equal(PageFlags.Entry(other, P | RW | PageFlags.User), h.Entry(top, 2));
        Assert.Equal(1u, h.Frame(other).TypeCount);
        AssertInvariants(h);
    }

    /// <summary>
    /// The L3 update XTF's xsa-286 makes, on a guest whose top L3 has type count 3 (pin + two compat L4s): current
    /// Xen and edcfce5591 alone flush both dirty CPUs (3 + 1 &gt; 1 + 1); with bed7e6cad3 nothing is flushed.
    /// </summary>
    [Fact]
    public void TheTopL3UpdateIsFlushedUnlessBed7e6cad3()
    {
        var cases = new[]
        {
            (XenRules.Current, 1L),
            (XenRules.Current with { SkipFlushForFreeFloating = true }, 1L),
            (XenRules.RelaxedFlush, 0L),
            (XenRules.Xen48, 0L),
        };
        foreach (var (rules, flushes) in cases)
        {
            var h = NewPv32(rules);
            var top = BuildTop(h);
            h.Events.Reset();
            Assert.Equal(0, h.MmuUpdate(0, [MmuUpdateRequest.Normal(top, 2, PageFlags.Entry(G(h, 3), P | RW))], out _));
            Assert.Equal(flushes, h.Events.Total(EventKind.LocalFlush));
            Assert.Equal(flushes, h.Events.Total(EventKind.RemoteFlush));
        }
    }
}
