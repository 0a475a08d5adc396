using PvMmu.Events;
using PvMmu.Xen.Abi;
using PvMmu.Xen.Domains;
using PvMmu.Xen.Frames;
using PvMmu.Xen.Types;

namespace PvMmu.Xen.Hypercalls;

/// <summary>
/// XENMEM_decrease_reservation and XENMEM_populate_physmap for one frame (xen/common/memory.c,
/// guest_remove_page and populate_physmap).
/// </summary>
internal static class MemoryOps
{
    /// <summary>
    /// guest_remove_page: the frame leaves the guest's reservation (PGC_allocated dropped). It is freed once nothing
    /// else references it. Before XSA-252 a pinned frame was also unpinned implicitly.
    /// </summary>
    public static long DecreaseReservation(Hypervisor h, uint mfn)
    {
        h.Events.Add(EventKind.Hypercall);
        var f = h.Frames;
        if (!PageRefs.GetPageFromMfn(h, mfn, DomainTable.Guest))
        {
            // The extent could not be removed: the call reports how many were.
            return 0;
        }

        if (!h.Rules.NoImplicitUnpinOnRelease && f.Has(mfn, FrameFlags.Pinned))
        {
            f.Clear(mfn, FrameFlags.Pinned);
            PageTypes.PutPageAndType(h, mfn);
        }

        if (f.Has(mfn, FrameFlags.Allocated))
        {
            f.Clear(mfn, FrameFlags.Allocated);
            PageRefs.PutPage(h, mfn);
        }

        PageRefs.PutPage(h, mfn);
        return 1;
    }

    /// <summary>populate_physmap of one 4 KiB extent: Xen picks the lowest free frame.</summary>
    public static long PopulatePhysmap(Hypervisor h)
    {
        h.Events.Add(EventKind.Hypercall);
        for (uint m = 0; m < (uint)h.Frames.Count; m++)
        {
            if (h.Frames.Has(m, FrameFlags.Free))
            {
                PageRefs.Allocate(h, m, DomainTable.Guest);
                return m;
            }
        }

        return -Errno.ENOMEM;
    }
}
