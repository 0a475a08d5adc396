using PvMmu.Xen;
using PvMmu.Xen.Abi;

namespace PvMmu.Sim.Bench;

/// <summary>
/// A 1 GiB address space for throughput measurements: one L4 → one L3 → one L2 → 512 L1s → 262,144 PTEs, each
/// mapping a data frame read-write, written by the domain builder. A pin validates every entry (a general and a
/// writable type reference per PTE); the unpin devalidates them all. Shared by <c>pvmmu bench</c> and the
/// BenchmarkDotNet suite.
/// </summary>
public static class PinTree
{
    public const int L1Tables = 512;
    public const int Ptes = L1Tables * 512;

    /// <summary>Entries (de)validated by one pin + unpin: PTEs, L2 entries, the L3 entry and the L4 entry, twice.</summary>
    public const int Operations = 2 * (Ptes + L1Tables + 1 + 1);

    public static Hypervisor Build(out uint l4)
    {
        var h = new Hypervisor(new HypervisorConfig { Vcpus = 1, GuestFrames = Ptes + L1Tables + 3, XenFrames = 1, OtherFrames = 0, FreeFrames = 0 });
        var first = h.FirstGuestFrame;
        l4 = first;
        uint l3 = first + 1, l2 = first + 2, l1First = first + 3, dataFirst = l1First + L1Tables;
        const ulong rw = PageFlags.Present | PageFlags.Rw | PageFlags.User;
        h.BuilderWrite(l4, 0, PageFlags.Entry(l3, rw));
        h.BuilderWrite(l3, 0, PageFlags.Entry(l2, rw));
        for (var t = 0; t < L1Tables; t++)
        {
            var l1 = l1First + (uint)t;
            h.BuilderWrite(l2, t, PageFlags.Entry(l1, rw));
            for (var s = 0; s < 512; s++)
            {
                h.BuilderWrite(l1, s, PageFlags.Entry(dataFirst + (uint)((t * 512) + s), rw));
            }
        }

        return h;
    }

    /// <summary>One pin and one unpin of the tree; 0 when both succeeded.</summary>
    public static long PinAndUnpin(Hypervisor h, uint l4)
    {
        var rc = h.MmuextOp(0, [MmuExtOpRequest.Pin(4, l4)], out _);
        rc |= h.MmuextOp(0, [MmuExtOpRequest.Unpin(l4)], out _);
        return rc;
    }
}
