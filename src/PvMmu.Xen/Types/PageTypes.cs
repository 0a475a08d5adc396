using PvMmu.Events;
using PvMmu.Xen.Abi;
using PvMmu.Xen.Cpu;
using PvMmu.Xen.Frames;

namespace PvMmu.Xen.Types;

/// <summary>
/// The page-type engine: _get_page_type, _put_page_type and _put_final_page_type (xen/arch/x86/mm.c).
/// <para>
/// The reference-counting model, as the header of Xen's mm.c states it. Every frame has two counts. The general
/// count (<see cref="FrameTable.GeneralCount"/>, Xen's count_info) counts every use of the frame by a domain: the
/// allocation itself, each present entry that maps or points at it, a pin, a vCPU's base pointer; while it is above
/// zero the frame cannot return to the free pool. The type count (<see cref="FrameTable.TypeCount"/>, type_info)
/// counts the uses of the frame in its current type only: as a table of one level (L1–L4), or as a page its domain
/// may write (an L1 entry with RW set), never both. Hence the one rule everything rests on: a frame's type can
/// change only while its type count is zero. Every type reference comes with a general reference beside it.
/// </para>
/// <para>
/// Taking a page-table type at count zero validates the contents (every present entry must be allowed at that
/// level and takes its own references, recursively); dropping the last one devalidates them and stamps the frame
/// with the TLB clock, so that the next type change flushes the CPUs that may still cache it. Writable and
/// descriptor frames keep their validated flag at count zero, so taking the same type again costs nothing. A pin
/// holds one type reference so that a table's count cannot fall to zero between uses; a frame is pinned at most
/// once (pins do not nest). A read-only mapping takes a general reference only, which is why a guest may read its
/// own tables.
/// </para>
/// <para>
/// The model runs each call to completion (docs/xen-rules.md#deferred-puts-and-continuations): no PGT_partial
/// state survives it. The rules, with the cases Xen distinguishes: docs/xen-rules.md#type-changes.
/// </para>
/// </summary>
internal static class PageTypes
{
    public static bool IsPageTable(PageType t) => t is >= PageType.L1 and <= PageType.L4;

    /// <summary>
    /// _get_page_type(page, type, preemptible). Returns 0 or a negative error: -EINVAL for a type conflict or an
    /// overflowing count, or whatever validating the contents returned.
    /// </summary>
    public static int Get(Hypervisor h, uint mfn, PageType type)
    {
        var f = h.Frames;
        var count = f.TypeCount[mfn];
        var oldType = f.Type[mfn];
        if (count >= int.MaxValue)
        {
            return -Errno.EINVAL;
        }

        if (count > 0)
        {
            if (oldType != type)
            {
                // A type conflict: the frame is in use as something else.
                return -Errno.EINVAL;
            }

            if (!f.Has(mfn, FrameFlags.Validated))
            {
                // Another CPU is validating it, or a recursion reached a table that is being validated. Xen
                // spins; the atomic model can never get here.
                throw new ModelBugException($"get_page_type({type}) on frame {mfn} while it is being validated");
            }

            f.TypeCount[mfn] = count + 1;
            return 0;
        }

        // count == 0: the type may change, and validation is needed unless the frame kept PGT_validated.
        if (oldType != type)
        {
            f.Type[mfn] = type;
            f.Clear(mfn, FrameFlags.Validated);
        }

        f.TypeCount[mfn] = 1;
        if (f.Has(mfn, FrameFlags.Validated))
        {
            return 0;
        }

        if (oldType != type && h.FlushedBeforeClaim != mfn)
        {
            // Since XSA-401 this follows the cmpxchg that claimed the type (before it, see ReadTypeInfo).
            TypeChangeFlush(h, mfn);
        }

        if (type is PageType.Writable or PageType.Shared)
        {
            f.Set(mfn, FrameFlags.Validated);
            return 0;
        }

        // nr_validated_ptes, partial_flags and linear_pt_count share storage with tlbflush_timestamp: zeroing them
        // for a fresh validation zeroes the stamp too. A frame whose validation then fails keeps stamp 0, and its
        // next type change flushes no CPU that has ever flushed.
        f.LinearPtCount[mfn] = 0;
        f.TlbStamp[mfn] = 0;
        var rc = Validation.ValidatePage(h, mfn, type, out var failedSlot);
        if (rc == 0)
        {
            f.Set(mfn, FrameFlags.Validated);
            return 0;
        }

        var partialPath = type is PageType.L3 or PageType.L4 || (type == PageType.L2 && h.Rules.PreemptibleL2);
        if (partialPath && failedSlot > 0)
        {
            // Xen leaves a table that failed past slot 0 PGT_partial in old_guest_table and finishes the put of
            // its first entries in a continuation; what remains is the type with no count
            // (docs/xen-rules.md#validation).
            f.TypeCount[mfn] = 0;
            f.TlbStamp[mfn] = h.Clock;
            h.Events.Add(EventKind.Continuation);
            h.Events.Add(EventKind.Hypercall);
        }
        else
        {
            // validate_page: type_info = 0.
            f.Type[mfn] = PageType.None;
            f.TypeCount[mfn] = 0;
            f.Clear(mfn, FrameFlags.Validated);
        }

        return rc;
    }

    /// <summary>
    /// On a type change no CPU may keep a writable mapping of a frame that becomes a page table (and none a table
    /// walk through one that becomes writable): flush every dirty CPU that has not flushed since the frame was last
    /// released.
    /// </summary>
    public static void TypeChangeFlush(Hypervisor h, uint mfn)
    {
        var mask = TlbFlush.Filter(h, h.Domains.DirtyCpuMask[h.Frames.Owner[mfn]], h.Frames.TlbStamp[mfn]);
        if (mask != 0)
        {
            h.Events.Add(EventKind.TypeChangeFlush);
            h.Events.Add(EventKind.XenInitiatedFlush);
            TlbFlush.FlushMask(h, mask, FlushKind.All);
        }
    }

    /// <summary>get_page_type: the non-preemptible boolean wrapper.</summary>
    public static bool TryGet(Hypervisor h, uint mfn, PageType type) => Get(h, mfn, type) == 0;

    /// <summary>
    /// _put_page_type(page, flags, ptpg). <paramref name="ptpg"/> is the table whose entry held the reference
    /// (0 if none); when it has the same type the reference was a linear one and its accounting is undone.
    /// </summary>
    public static void Put(Hypervisor h, uint mfn, uint ptpg = 0)
    {
        var f = h.Frames;
        var count = f.TypeCount[mfn];
        if (count == 0)
        {
            throw new ModelBugException($"put_page_type on frame {mfn} with no type reference");
        }

        var type = f.Type[mfn];
        var linear = ptpg != 0 && f.Type[ptpg] == type && IsPageTable(type);
        if (count == 1 && IsPageTable(type) && f.Has(mfn, FrameFlags.Validated))
        {
            // The last reference of a validated table: devalidate it (_put_final_page_type).
            f.Clear(mfn, FrameFlags.Validated);
            Validation.DevalidatePage(h, mfn, type);
            if (linear)
            {
                UndoLinear(h, mfn, ptpg);
            }

            f.TlbStamp[mfn] = h.Clock;
            f.TypeCount[mfn] = 0;
            return;
        }

        if (count == 1 && !linear)
        {
            f.TlbStamp[mfn] = h.Clock;
        }

        f.TypeCount[mfn] = count - 1;
        if (linear)
        {
            UndoLinear(h, mfn, ptpg);
        }
    }

    private static void UndoLinear(Hypervisor h, uint mfn, uint ptpg)
    {
        if (!h.Rules.LinearPtLimits)
        {
            return;
        }

        // dec_linear_uses(page); dec_linear_entries(ptpg).
        h.Frames.LinearPtCount[mfn]++;
        h.Frames.LinearPtCount[ptpg]--;
    }

    /// <summary>
    /// get_page_and_type_from_mfn(mfn, type, d): a general reference (refused with -EINVAL if the frame is not
    /// <paramref name="dom"/>'s) and a type reference; the general one is dropped again on failure.
    /// </summary>
    public static int GetPageAndTypeFromMfn(Hypervisor h, uint mfn, PageType type, ushort dom)
    {
        if (!PageRefs.GetPageFromMfn(h, mfn, dom))
        {
            return -Errno.EINVAL;
        }

        var rc = Get(h, mfn, type);
        if (rc != 0)
        {
            PageRefs.PutPage(h, mfn);
        }

        return rc;
    }

    /// <summary>put_page_and_type: type first, then the general reference.</summary>
    public static void PutPageAndType(Hypervisor h, uint mfn, uint ptpg = 0)
    {
        Put(h, mfn, ptpg);
        PageRefs.PutPage(h, mfn);
    }

    /// <summary>page_lock succeeds only on a validated frame with type references; the lock is transient here.</summary>
    public static bool CanLock(Hypervisor h, uint mfn) =>
        h.Frames.Has(mfn, FrameFlags.Validated) && h.Frames.TypeCount[mfn] > 0;
}
