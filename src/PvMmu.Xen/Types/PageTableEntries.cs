using PvMmu.Xen.Abi;
using PvMmu.Xen.Domains;
using PvMmu.Xen.Frames;

namespace PvMmu.Xen.Types;

/// <summary>
/// The references an entry implies: get_page_from_l1e / put_page_from_l1e, get_page_from_lNe /
/// put_page_from_lNe and the linear page-table rules of define_get_linear_pagetable (xen/arch/x86/mm.c).
/// </summary>
internal static class PageTableEntries
{
    /// <summary>L1_DISALLOW_MASK for a domain without I/O memory rights: the base mask plus _PAGE_GNTTAB, minus G.</summary>
    public static ulong L1DisallowMask(Hypervisor h) =>
        (PageFlags.BaseDisallowMask | (h.DebugBuild ? PageFlags.GntTab : 0)) & ~PageFlags.Global;

    /// <summary>L2/L3/L4_DISALLOW_MASK for a 64-bit PV guest: the base mask (PSE included: no PV superpages).</summary>
    public const ulong UpperDisallowMask = PageFlags.BaseDisallowMask;

    /// <summary>
    /// l3_disallow_mask for a 32-bit PV domain: the flags word 0xFFFFF198 (get_pte_flags puts entry bits 52–63 at
    /// flag bits 12–23), so PWT, PCD, PSE, G and every bit from 52 up, NX included, are refused in its L3 entries.
    /// </summary>
    public const ulong CompatL3DisallowMask = 0x198UL | (0xFFFUL << 52);

    /// <summary>The disallow mask of a level-<paramref name="level"/> (2–4) entry in a table of <paramref name="domain"/>.</summary>
    public static ulong UpperDisallowMaskFor(Hypervisor h, int level, int domain)
        => level == 3 && h.IsPv32BitDomain(domain) ? CompatL3DisallowMask : UpperDisallowMask;

    /// <summary>is_guest_l4_slot for a 64-bit guest: every slot but Xen's 256–271.</summary>
    public static bool IsGuestL4Slot(int slot) => slot < 256 || slot > 271;

    /// <summary>
    /// get_page_from_l1e(l1e, l1e_owner, pg_owner): a general reference on the mapped frame, and a writable type
    /// reference when the entry has RW. -EINVAL for a disallowed flag or INVALID_MFN, -EPERM for MMIO without I/O rights,
    /// -EBUSY when the frame is not the owner's or the writable type is refused. Xen's l1e_owner matters only
    /// for a privileged page owner passing on mapping rights, which an unprivileged guest never has.
    /// </summary>
    public static int GetPageFromL1e(Hypervisor h, ulong l1e, ushort pgOwner)
    {
        if ((l1e & PageFlags.Present) == 0)
        {
            return 0;
        }

        if ((l1e & L1DisallowMask(h)) != 0)
        {
            return -Errno.EINVAL;
        }

        var mfn = PageFlags.Mfn(l1e);
        var f = h.Frames;
        if (!f.IsValid(mfn))
        {
            // Not RAM: MMIO. An unprivileged guest has no iomem_access_permitted: -EPERM, except for the all-ones
            // frame number, INVALID_MFN, which Xen tells apart as -EINVAL (it is no MMIO address at all).
            return PageFlags.FrameNumber(l1e) == PageFlags.InvalidMfn ? -Errno.EINVAL : -Errno.EPERM;
        }

        var realOwner = PageRefs.GetOwnerAndReference(h, mfn);
        if (realOwner == DomainTable.Io)
        {
            PageRefs.PutPage(h, mfn);
            return -Errno.EPERM;
        }

        if (realOwner == DomainTable.NoOwner)
        {
            // A free frame: no reference could be taken.
            return -Errno.EBUSY;
        }

        if (realOwner != pgOwner)
        {
            // Only a privileged pg_owner may pass on the right to map its target's pages; a domU never can.
            PageRefs.PutPage(h, mfn);
            return -Errno.EBUSY;
        }

        if ((l1e & PageFlags.Rw) != 0 && !PageTypes.TryGet(h, mfn, PageType.Writable))
        {
            PageRefs.PutPage(h, mfn);
            return -Errno.EBUSY;
        }

        return 0;
    }

    /// <summary>put_page_from_l1e: the general reference, and the writable type reference of an RW entry.</summary>
    public static void PutPageFromL1e(Hypervisor h, ulong l1e)
    {
        if ((l1e & PageFlags.Present) == 0)
        {
            return;
        }

        var mfn = PageFlags.Mfn(l1e);
        if (!h.Frames.IsValid(mfn))
        {
            return;
        }

        if ((l1e & PageFlags.Rw) != 0)
        {
            PageTypes.PutPageAndType(h, mfn);
        }
        else
        {
            PageRefs.PutPage(h, mfn);
        }
    }

    /// <summary>
    /// get_page_from_l2e / l3e / l4e for a present entry of a level-<paramref name="level"/> table
    /// <paramref name="table"/>: the child table typed one level down (validating it if its count was 0), or,
    /// when that fails with -EINVAL, a linear reference to a same-level table.
    /// </summary>
    public static int GetPageFromUpper(Hypervisor h, ulong entry, uint table, int level, ushort dom)
    {
        if ((entry & PageFlags.Present) == 0)
        {
            return 0;
        }

        if ((entry & UpperDisallowMaskFor(h, level, dom)) != 0)
        {
            return -Errno.EINVAL;
        }

        var child = PageFlags.Mfn(entry);
        var rc = PageTypes.GetPageAndTypeFromMfn(h, child, (PageType)(level - 1), dom);
        if (rc != 0 && level == 2 && !h.Rules.PreemptibleL2)
        {
            // Before XSA-290 an L2's child was typed with the boolean get_page_type: every failure is -EINVAL.
            rc = -Errno.EINVAL;
        }

        // get_page_from_l3e tries no linear L3 for a 32-bit domain.
        if (rc == -Errno.EINVAL && !(level == 3 && h.IsPv32BitDomain(dom)) && GetLinearPagetable(h, entry, table, level, dom))
        {
            rc = 0;
        }

        return rc;
    }

    /// <summary>
    /// get_lN_linear_pagetable (define_get_linear_pagetable): an entry that points at a same-level table.
    /// Allowed only read-only; a self-reference takes no references; otherwise both tables must be the
    /// domain's, the target already validated at this level, and (XSA-240) neither side on the wrong end of
    /// another linear link.
    /// </summary>
    private static bool GetLinearPagetable(Hypervisor h, ulong entry, uint table, int level, ushort dom)
    {
        if (!h.Rules.LinearPageTables)
        {
            return false;
        }

        if ((entry & PageFlags.Rw) != 0)
        {
            return false;
        }

        var target = PageFlags.Mfn(entry);
        if (target == table)
        {
            return true;
        }

        var f = h.Frames;
        if (h.Rules.LinearPtLimits && f.Owner[table] != dom)
        {
            return false;
        }

        if (!PageRefs.GetPageFromMfn(h, target, dom))
        {
            return false;
        }

        var limits = h.Rules.LinearPtLimits;
        if (limits)
        {
            // inc_linear_entries(ptpg): the containing table must not be a linear target itself.
            if (f.LinearPtCount[table] < 0 || f.LinearPtCount[table] == short.MaxValue)
            {
                PageRefs.PutPage(h, target);
                return false;
            }

            f.LinearPtCount[table]++;

            // inc_linear_uses(page): the target must not hold linear entries itself.
            if (f.LinearPtCount[target] > 0 || f.LinearPtCount[target] == short.MinValue)
            {
                f.LinearPtCount[table]--;
                PageRefs.PutPage(h, target);
                return false;
            }

            f.LinearPtCount[target]--;
        }

        if (f.TypeCount[target] >= int.MaxValue || f.Type[target] != (PageType)level || !f.Has(target, FrameFlags.Validated))
        {
            if (limits)
            {
                f.LinearPtCount[target]++;
                f.LinearPtCount[table]--;
            }

            PageRefs.PutPage(h, target);
            return false;
        }

        f.TypeCount[target]++;
        return true;
    }

    /// <summary>
    /// put_page_from_l2e / l3e / l4e without deferral (put_pt_page): drop the child's type and general reference,
    /// which demotes it when that was its last type reference. Self-references hold nothing.
    /// </summary>
    public static void PutPageFromUpper(Hypervisor h, ulong entry, uint table)
    {
        if ((entry & PageFlags.Present) == 0)
        {
            return;
        }

        var child = PageFlags.Mfn(entry);
        if (child == table)
        {
            return;
        }

        PageTypes.PutPageAndType(h, child, table);
    }

    /// <summary>
    /// put_page_from_lNe with PTF_defer: the put is only recorded in old_guest_table; the hypercall forces a
    /// continuation and performs it (put_old_guest_table) on re-entry. Returns true if a put was deferred.
    /// </summary>
    public static bool DeferPutFromUpper(Hypervisor h, ulong entry, uint table)
    {
        if ((entry & PageFlags.Present) == 0)
        {
            return false;
        }

        var child = PageFlags.Mfn(entry);
        if (child == table)
        {
            return false;
        }

        var v = h.CurrentVcpu;
        if (h.Vcpus.OldGuestTable[v] != 0)
        {
            throw new ModelBugException("a second deferred put while old_guest_table is set");
        }

        h.Vcpus.OldGuestTable[v] = child;
        h.Vcpus.OldGuestPtpg[v] = table;
        return true;
    }

    /// <summary>put_old_guest_table: perform a deferred put.</summary>
    public static void PutOldGuestTable(Hypervisor h, int v)
    {
        var child = h.Vcpus.OldGuestTable[v];
        if (child == 0)
        {
            return;
        }

        var ptpg = h.Vcpus.OldGuestPtpg[v];
        h.Vcpus.OldGuestTable[v] = 0;
        h.Vcpus.OldGuestPtpg[v] = 0;
        PageTypes.PutPageAndType(h, child, ptpg);
    }
}
