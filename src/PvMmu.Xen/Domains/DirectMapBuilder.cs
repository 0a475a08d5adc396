using PvMmu.Xen.Abi;

namespace PvMmu.Xen.Domains;

/// <summary>
/// A small guest's first page tables, as a domain builder leaves them (xen/arch/x86/pv/dom0_build.c sets up the
/// initial tables and pins the root): the guest's first four frames are L4 → L3 → L2 → L1, the L1 maps every guest
/// frame at L4 slot <c>l4Slot</c> (the four tables read-only, the rest writable), the L4 is pinned, and every vCPU
/// runs on it. Scenarios and tests then change it only through hypercalls.
/// </summary>
public static class DirectMapBuilder
{
    /// <summary>Builds the tables; returns their frames. A hypercall that fails here is the caller's mistake.</summary>
    public static (uint L4, uint L3, uint L2, uint L1) Build(Hypervisor h, int l4Slot)
    {
        ArgumentNullException.ThrowIfNull(h);
        var first = h.FirstGuestFrame;
        uint l4 = first, l3 = first + 1, l2 = first + 2, l1 = first + 3;
        h.BuilderWrite(l4, l4Slot, PageFlags.Entry(l3, PageFlags.Present | PageFlags.Rw));
        h.BuilderWrite(l3, 0, PageFlags.Entry(l2, PageFlags.Present | PageFlags.Rw));
        h.BuilderWrite(l2, 0, PageFlags.Entry(l1, PageFlags.Present | PageFlags.Rw));
        for (var i = 0; i < h.Config.GuestFrames; i++)
        {
            h.BuilderWrite(l1, i, PageFlags.Entry(first + (uint)i, PageFlags.Present | (i < 4 ? 0 : PageFlags.Rw)));
        }

        Require(h.MmuextOp(0, [MmuExtOpRequest.Pin(4, l4)], out _));
        for (var v = 0; v < h.VcpuCount; v++)
        {
            Require(h.MmuextOp(v, [MmuExtOpRequest.NewBaseptr(l4)], out _));
        }

        return (l4, l3, l2, l1);
    }

    private static void Require(long rc)
    {
        if (rc != 0)
        {
            throw new InvalidOperationException($"building the direct map failed: {Errno.Name(rc)}");
        }
    }
}
