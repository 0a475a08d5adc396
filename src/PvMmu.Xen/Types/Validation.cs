using PvMmu.Events;
using PvMmu.Xen.Abi;
using PvMmu.Xen.Domains;
using PvMmu.Xen.Frames;

namespace PvMmu.Xen.Types;

/// <summary>
/// Checking a table's contents when it becomes a page table and releasing them when it stops being one:
/// validate_page → promote_lN_table, devalidate_page → demote_lN_table (xen/arch/x86/mm.c, names since 4.14;
/// alloc_lN_table / free_lN_table before).
/// </summary>
internal static class Validation
{
    /// <summary>L4 slot of Xen's self-linear mapping (LINEAR_PT_VIRT_START).</summary>
    public const int LinearPtL4Slot = 258;

    /// <summary>
    /// validate_page. Returns 0 or the error of the first entry that failed, with <paramref name="failedSlot"/>
    /// set to its slot. Every reference taken for earlier slots is released again before returning an error.
    /// </summary>
    public static int ValidatePage(Hypervisor h, uint mfn, PageType type, out int failedSlot)
    {
        failedSlot = -1;
        switch (type)
        {
            case PageType.L1:
                return PromoteL1(h, mfn, out failedSlot);
            case PageType.L2:
            case PageType.L3:
            case PageType.L4:
                return PromoteUpper(h, mfn, (int)type, out failedSlot);
            case PageType.SegDesc:
                // validate_segdesc_page: the model keeps no descriptor contents; every descriptor is acceptable.
                return 0;
            default:
                throw new ModelBugException($"validate_page with type {type}");
        }
    }

    /// <summary>devalidate_page: drop the references the contents hold.</summary>
    public static void DevalidatePage(Hypervisor h, uint mfn, PageType type)
    {
        switch (type)
        {
            case PageType.L1:
                DemoteL1(h, mfn);
                break;
            case PageType.L2:
            case PageType.L3:
            case PageType.L4:
                DemoteUpper(h, mfn, (int)type);
                break;
            default:
                break;
        }
    }

    /// <summary>
    /// promote_l1_table: get_page_from_l1e for every present slot, adjusting each (adjust_guest_l1e). On the first
    /// failure the slots before it are released and the error returned; they stay adjusted
    /// (docs/xen-rules.md#validation).
    /// </summary>
    private static int PromoteL1(Hypervisor h, uint mfn, out int failedSlot)
    {
        failedSlot = -1;
        var t = h.Frames.TableIndex[mfn];
        h.Events.Add(EventKind.TableValidated);
        if (t < 0)
        {
            return 0;
        }

        var owner = h.Frames.Owner[mfn];
        var entries = h.Tables.Writable(t);
        var present = 0;
        for (var i = 0; i < PageTablePool.EntriesPerTable; i++)
        {
            var e = entries[i];
            if ((e & PageFlags.Present) == 0)
            {
                continue;
            }

            present++;
            var rc = PageTableEntries.GetPageFromL1e(h, e, owner);
            if (rc != 0)
            {
                h.Events.Add(EventKind.EntriesValidated, present);
                for (var j = 0; j < i; j++)
                {
                    PageTableEntries.PutPageFromL1e(h, entries[j]);
                }

                failedSlot = i;
                return rc;
            }

            entries[i] = AdjustL1(e);
        }

        h.Events.Add(EventKind.EntriesValidated, present);
        return 0;
    }

    /// <summary>
    /// promote_l2_table / l3 / l4: get_page_from_lNe for every present guest slot, in order, adjusting each.
    /// An L4 then gets Xen's slots (init_xen_l4_slots) and counts in nr_l4_pages. A 32-bit domain's L3 has four
    /// slots, the last one required.
    /// </summary>
    private static int PromoteUpper(Hypervisor h, uint mfn, int level, out int failedSlot)
    {
        failedSlot = -1;
        h.Events.Add(EventKind.TableValidated);
        var f = h.Frames;
        var owner = f.Owner[mfn];
        var t = f.TableIndex[mfn];
        if (t < 0)
        {
            t = h.EnsureContents(mfn);
        }

        // promote_l3_table for a 32-bit domain: a PAE L3 has four entries. Slots 4–511 are cleared, since the
        // 4-level walk sees the whole page; slot 3 must be present (it holds Xen's compat mappings in an L2 typed
        // PGT_pae_xen_l2, which the model does not distinguish: docs/model.md "32-bit PV guests"), and validation
        // stops after it.
        var pae = level == 3 && h.IsPv32BitDomain(owner);
        var slots = PageTablePool.EntriesPerTable;
        if (pae)
        {
            slots = 4;
            for (var i = 4; i < PageTablePool.EntriesPerTable; i++)
            {
                if (h.Tables.Read(t, i) != 0)
                {
                    h.WriteContents(mfn, i, 0);
                }
            }
        }

        var present = 0;
        for (var i = 0; i < slots; i++)
        {
            if (level == 4 && !PageTableEntries.IsGuestL4Slot(i))
            {
                continue;
            }

            var e = h.Tables.Read(t, i);
            if ((e & PageFlags.Present) == 0 && !(pae && i == 3))
            {
                continue;
            }

            present++;
            var rc = (e & PageFlags.Present) == 0 ? -Errno.EINVAL : PageTableEntries.GetPageFromUpper(h, e, mfn, level, owner);
            if (rc != 0)
            {
                h.Events.Add(EventKind.EntriesValidated, present);
                for (var j = i - 1; j >= 0; j--)
                {
                    if (level == 4 && !PageTableEntries.IsGuestL4Slot(j))
                    {
                        continue;
                    }

                    PageTableEntries.PutPageFromUpper(h, h.Tables.Read(t, j), mfn);
                }

                failedSlot = i;
                return rc;
            }

            h.Tables.Write(t, i, AdjustUpper(h, e, level, owner));
        }

        h.Events.Add(EventKind.EntriesValidated, present);
        if (level == 4)
        {
            // init_xen_l4_slots: Xen's own mappings replace whatever the guest left in slots 256–271. The model
            // keeps the self-linear slot, the one whose target is a guest frame; the others map Xen memory that
            // no guest walk can reach, and are written as not present.
            for (var i = 256; i <= 271; i++)
            {
                h.Tables.Write(t, i, 0);
            }

            h.Tables.Write(t, LinearPtL4Slot, PageFlags.Entry(mfn, PageFlags.HypervisorRw));
            h.Domains.NrL4Pages[owner]++;
        }

        return 0;
    }

    /// <summary>demote_l1_table: put_page_from_l1e for all 512 slots.</summary>
    private static void DemoteL1(Hypervisor h, uint mfn)
    {
        h.Events.Add(EventKind.TableDevalidated);
        var t = h.Frames.TableIndex[mfn];
        if (t < 0)
        {
            return;
        }

        var present = 0;
        var entries = h.Tables.View(t);
        for (var i = 0; i < PageTablePool.EntriesPerTable; i++)
        {
            var e = entries[i];
            if ((e & PageFlags.Present) != 0)
            {
                present++;
                PageTableEntries.PutPageFromL1e(h, e);
            }
        }

        h.Events.Add(EventKind.EntriesDevalidated, present);
    }

    /// <summary>demote_l2/l3/l4_table: put_page_from_lNe for the guest slots, from the top down; recursive.</summary>
    private static void DemoteUpper(Hypervisor h, uint mfn, int level)
    {
        h.Events.Add(EventKind.TableDevalidated);
        var t = h.Frames.TableIndex[mfn];
        if (t < 0)
        {
            return;
        }

        var present = 0;
        for (var i = PageTablePool.EntriesPerTable - 1; i >= 0; i--)
        {
            if (level == 4 && !PageTableEntries.IsGuestL4Slot(i))
            {
                continue;
            }

            var e = h.Tables.Read(t, i);
            if ((e & PageFlags.Present) != 0)
            {
                present++;
                PageTableEntries.PutPageFromUpper(h, e, mfn);
            }
        }

        h.Events.Add(EventKind.EntriesDevalidated, present);
        if (level == 4)
        {
            h.Domains.NrL4Pages[h.Frames.Owner[mfn]]--;
        }
    }

    /// <summary>
    /// adjust_guest_l1e for a 64-bit PV guest: a kernel mapping (no U) gets _PAGE_GUEST_KERNEL|U; a user mapping
    /// (no _PAGE_GUEST_KERNEL) gets G|U, so user mappings are global in the TLB.
    /// </summary>
    public static ulong AdjustL1(ulong e)
    {
        if ((e & PageFlags.Present) == 0)
        {
            return e;
        }

        if ((e & PageFlags.User) == 0)
        {
            e |= PageFlags.GuestKernel | PageFlags.User;
        }

        if ((e & PageFlags.GuestKernel) == 0)
        {
            e |= PageFlags.Global | PageFlags.User;
        }

        return e;
    }

    /// <summary>
    /// adjust_guest_l2e / l3e: U added (and RW, for an L3 of a 32-bit domain); adjust_guest_l4e: U and, in current
    /// Xen, A added. <paramref name="domain"/> owns the table (the d of the Xen function).
    /// </summary>
    public static ulong AdjustUpper(Hypervisor h, ulong e, int level, int domain)
    {
        if ((e & PageFlags.Present) == 0)
        {
            return e;
        }

        if (level == 3 && h.IsPv32BitDomain(domain))
        {
            // adjust_guest_l3e for a 32-bit domain: PAE L3 entries have no U or RW bit, the 4-level walk needs both.
            return e | PageFlags.User | PageFlags.Rw;
        }

        return level == 4 && h.Rules.L4AdjustAddsAccessed ? e | PageFlags.User | PageFlags.Accessed : e | PageFlags.User;
    }

    /// <summary>The domain index is that of a guest whose tables may be validated.</summary>
    public static bool IsGuest(ushort owner) => owner is DomainTable.Guest or DomainTable.Other;
}
