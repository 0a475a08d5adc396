using PvMmu.Events;
using PvMmu.Xen.Abi;
using PvMmu.Xen.Access;
using PvMmu.Xen.Domains;
using PvMmu.Xen.Frames;
using PvMmu.Xen.Types;

namespace PvMmu.Xen.Ptwr;

/// <summary>
/// Writable page tables: a guest kernel's write to a read-only mapped, in-use L1 is trapped and emulated as if it
/// were a mod_l1_entry (fixup_page_fault → pv_ro_page_fault → ptwr_do_page_fault → ptwr_emulated_update,
/// xen/arch/x86/traps.c and pv/ro-page-fault.c). Anything else — an L2/L3/L4, a table with no type count, a
/// frame not typed L1, a new entry that does not validate — is unhandleable, and the guest gets the page fault.
/// Xen flushes nothing: the guest must.
/// </summary>
internal static class PtwrEmulator
{
    /// <summary>Emulates a trapped write of <c>bytes</c> bytes (8, or 4: widened to the full entry first) at <c>va</c>.</summary>
    public static bool TryEmulate(Hypervisor h, ulong va, ulong value, int bytes, out ulong old)
    {
        old = 0;
        var v = h.CurrentVcpu;

        // Eligible: a write protection fault (present, not reserved-bit, not a fetch) from guest kernel mode,
        // with VMASST_TYPE_writable_pagetables on.
        if (!h.Vcpus.KernelMode[v] || !h.Domains.WritablePagetables[DomainTable.Guest])
        {
            return false;
        }

        // guest_get_eff_kern_l1e: the kernel L1 entry that maps va, read through Xen's linear L1 table; it must be
        // present and read-only.
        var l1 = GuestMemory.LinearTableFrame(h, va, 1);
        if (l1 == 0)
        {
            return false;
        }

        var pte = h.ReadContents(l1, (int)((va >> 12) & 511));
        if ((pte & (PageFlags.Present | PageFlags.Rw)) != PageFlags.Present)
        {
            return false;
        }

        // ptwr_do_page_fault: the mapped frame must be ours, lockable (validated, count > 0) and an L1.
        var target = PageFlags.Mfn(pte);
        if (!PageRefs.GetPageFromMfn(h, target, DomainTable.Guest))
        {
            return false;
        }

        var handled = false;
        if (PageTypes.CanLock(h, target) && h.Frames.Type[target] == PageType.L1)
        {
            var slot = (int)((va >> 3) & 511);

            // "Turn a sub-word access into a full-word access": the caller's bytes over the entry as it is now.
            var full = bytes == 8 ? value : GuestMemory.MergeHalf(h.ReadContents(target, slot), va, value);
            handled = Update(h, target, slot, full, out old);
        }

        PageRefs.PutPage(h, target);
        if (handled)
        {
            h.Events.Add(EventKind.PtwrEmulation);
        }

        return handled;
    }

    /// <summary>ptwr_emulated_update: validate the new entry like mod_l1_entry (no fast path), write it, drop the old one.</summary>
    private static bool Update(Hypervisor h, uint table, int slot, ulong nl1e, out ulong old)
    {
        var owner = h.Frames.Owner[table];
        old = h.ReadContents(table, slot);
        if (PageTableEntries.GetPageFromL1e(h, nl1e, owner) != 0)
        {
            return false;
        }

        h.WriteContents(table, slot, Validation.AdjustL1(nl1e));
        PageTableEntries.PutPageFromL1e(h, old);
        return true;
    }
}
