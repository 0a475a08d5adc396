using PvMmu.Events;
using PvMmu.Xen.Cpu;
using PvMmu.Xen.Domains;

namespace PvMmu.Xen.Frames;

/// <summary>General references: get_page, put_page and freeing (xen/arch/x86/mm.c, xen/common/page_alloc.c).</summary>
internal static class PageRefs
{
    /// <summary>
    /// page_get_owner_and_reference: one more general reference unless the frame is free (count 0) or the count
    /// would take its last spare value. Returns the owner, or <see cref="DomainTable.NoOwner"/> when refused.
    /// </summary>
    public static ushort GetOwnerAndReference(Hypervisor h, uint mfn)
    {
        var f = h.Frames;
        var c = f.GeneralCount[mfn];
        if (c == 0 || c >= uint.MaxValue - 1)
        {
            return DomainTable.NoOwner;
        }

        f.GeneralCount[mfn] = c + 1;
        return f.Owner[mfn];
    }

    /// <summary>get_page(pg, d): a general reference, kept only if <paramref name="dom"/> owns the frame.</summary>
    public static bool GetPage(Hypervisor h, uint mfn, ushort dom)
    {
        var owner = GetOwnerAndReference(h, mfn);
        if (owner == dom)
        {
            return true;
        }

        if (owner != DomainTable.NoOwner)
        {
            PutPage(h, mfn);
        }

        return false;
    }

    /// <summary>get_page_from_mfn: the frame exists and <paramref name="dom"/> owns it; a general reference taken.</summary>
    public static bool GetPageFromMfn(Hypervisor h, uint mfn, ushort dom) => h.Frames.IsValid(mfn) && GetPage(h, mfn, dom);

    /// <summary>put_page: the last reference frees the frame (cleanup_page_mappings, free_domheap_page).</summary>
    public static void PutPage(Hypervisor h, uint mfn)
    {
        var f = h.Frames;
        var c = f.GeneralCount[mfn];
        if (c == 0)
        {
            throw new ModelBugException($"put_page on frame {mfn} with no general reference");
        }

        f.GeneralCount[mfn] = c - 1;
        if (c == 1)
        {
            Free(h, mfn);
        }
    }

    /// <summary>
    /// free_domheap_page → mark_page_free: the frame returns to the heap owned by nobody, stamped with the TLB
    /// clock so that the next allocation flushes CPUs that may still cache it. Its type information is cleared,
    /// so nothing stays validated across owners (XSA-214), and its contents are scrubbed.
    /// </summary>
    private static void Free(Hypervisor h, uint mfn)
    {
        var f = h.Frames;
        if (f.TypeCount[mfn] != 0)
        {
            throw new ModelBugException($"frame {mfn} freed with {f.TypeCount[mfn]} type references");
        }

        f.TlbStamp[mfn] = h.Clock;
        f.Owner[mfn] = DomainTable.NoOwner;
        f.Type[mfn] = PageType.None;
        f.Flags[mfn] = FrameFlags.Free;
        f.LinearPtCount[mfn] = 0;
        var t = f.TableIndex[mfn];
        if (t >= 0)
        {
            Array.Clear(h.Tables.Writable(t));
        }
    }

    /// <summary>
    /// alloc_domheap_pages for <paramref name="dom"/>: a free frame becomes the domain's (PGC_allocated, one
    /// reference). CPUs that have not flushed since the frame was freed are flushed first (accumulate_tlbflush,
    /// filtered_flush_tlb_mask): every online CPU, as Xen does, since the frame may go to any domain.
    /// </summary>
    public static void Allocate(Hypervisor h, uint mfn, ushort dom)
    {
        var f = h.Frames;
        if (!f.Has(mfn, FrameFlags.Free))
        {
            throw new ModelBugException($"frame {mfn} allocated while in use");
        }

        var mask = TlbFlush.Filter(h, h.OnlineCpuMask(), f.TlbStamp[mfn]);
        if (mask != 0)
        {
            h.Events.Add(EventKind.XenInitiatedFlush);
            TlbFlush.FlushMask(h, mask, FlushKind.All);
        }

        f.Owner[mfn] = dom;
        f.Flags[mfn] = FrameFlags.Allocated;
        f.GeneralCount[mfn] = 1;
        f.TypeCount[mfn] = 0;
        f.Type[mfn] = PageType.None;
    }
}
