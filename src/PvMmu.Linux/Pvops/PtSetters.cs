using PvMmu.Events;
using PvMmu.Linux.Mm;
using PvMmu.Linux.Multicalls;
using PvMmu.Xen.Abi;

namespace PvMmu.Linux.Pvops;

/// <summary>
/// The page-table setters and table allocation hooks of arch/x86/xen/mmu_pv.c, with Linux's real decisions:
/// set_pte never looks at PagePinned (a queued update in lazy MMU mode, else one hypercall); set_pmd, set_pud and
/// set_p4d store plainly into an unpinned table and use mmu_update on a pinned one; the alloc/release hooks remap a
/// table page and pin or unpin an L1 only when the mm is pinned. On a native kernel (<see cref="Kernel.Native"/>) they
/// are pv_ops' native ones: native_set_pte and native_set_pmd/pud/p4d are plain stores (WRITE_ONCE), and the
/// alloc/release hooks are paravirt_nop; no xen_mmu_* tracepoint fires.
/// </summary>
public static class PtSetters
{
    /// <summary>__xen_set_pte: xen_batched_set_pte in lazy MMU mode, else a direct HYPERVISOR_mmu_update.</summary>
    public static void SetPte(Kernel k, int cpu, uint l1, int slot, ulong pte)
    {
        if (k.Native)
        {
            // native_set_pte: WRITE_ONCE(*ptep, pte).
            k.Store(cpu, k.Va(l1) + ((ulong)slot * 8), pte);
            return;
        }

        k.Events.Add(cpu, EventKind.SetPte);
        var u = MmuUpdateRequest.Normal(l1, slot, pte);
        if (k.LazyNow(cpu) == LazyMode.Mmu)
        {
            k.Mc.ExtendMmuUpdate(cpu, u);
            k.Mc.Issue(cpu, k.LazyNow(cpu), LazyMode.Mmu);
            return;
        }

        k.DirectMmuUpdate(cpu, u);
    }

    /// <summary>
    /// xen_set_pmd / xen_set_pud (by <paramref name="tableLevel"/>, the level of the table written): a plain store
    /// into an unpinned table; xen_set_pmd_hyper / _pud_hyper into a pinned one.
    /// </summary>
    public static void SetUpper(Kernel k, int cpu, uint table, int slot, ulong val, PtLevel tableLevel)
    {
        if (k.Native)
        {
            // native_set_pmd / native_set_pud: WRITE_ONCE.
            k.Store(cpu, k.Va(table) + ((ulong)slot * 8), val);
            return;
        }

        k.Events.Add(cpu, tableLevel == PtLevel.Pud ? EventKind.SetPud : EventKind.SetPmd);
        if (!k.Pinned(table))
        {
            k.Store(cpu, k.Va(table) + ((ulong)slot * 8), val);
            return;
        }

        k.Mc.ExtendMmuUpdate(cpu, MmuUpdateRequest.Normal(table, slot, val));
        k.Mc.Issue(cpu, k.LazyNow(cpu), LazyMode.Mmu);
    }

    /// <summary>
    /// xen_set_p4d on 4-level paging (a pgd slot): the kernel pgd's slot and, for a user address, the user pgd's
    /// slot too — two plain stores when unpinned, one batch of two updates when pinned.
    /// </summary>
    public static void SetP4d(Kernel k, int cpu, uint pgd, int slot, ulong val)
    {
        if (k.Native)
        {
            // native_set_p4d without PTI: one store into the one pgd.
            k.Store(cpu, k.Va(pgd) + ((ulong)slot * 8), val);
            return;
        }

        k.Events.Add(cpu, EventKind.SetP4d);
        var user = slot < Layout.UserPgdSlots ? k.UserPgd(pgd) : 0;
        if (!k.Pinned(pgd))
        {
            k.Store(cpu, k.Va(pgd) + ((ulong)slot * 8), val);
            if (user != 0)
            {
                k.Store(cpu, k.Va(user) + ((ulong)slot * 8), val);
            }

            return;
        }

        k.Mc.ExtendMmuUpdate(cpu, MmuUpdateRequest.Normal(pgd, slot, val));
        if (user != 0)
        {
            k.Mc.ExtendMmuUpdate(cpu, MmuUpdateRequest.Normal(user, slot, val));
        }

        k.Mc.Issue(cpu, k.LazyNow(cpu), LazyMode.Mmu);
    }

    /// <summary>
    /// xen_alloc_ptpage (xen_alloc_pte/pmd/pud), before the parent entry is written: for a pinned mm the new table
    /// page is marked pinned, remapped read-only and, an L1, pinned; deferred in lazy MMU mode. Nothing otherwise.
    /// </summary>
    public static void AllocPtpage(Kernel k, int cpu, uint mmPgd, uint page, PtLevel level)
    {
        if (k.Native)
        {
            // pv_ops.mmu.alloc_pte/pmd/pud: paravirt_nop.
            return;
        }

        k.Events.Add(cpu, EventKind.AllocPtpage);
        if (!k.Pinned(mmPgd))
        {
            return;
        }

        var wasPinned = k.Pinned(page);
        k.SetPinned(page, true);
        k.Mc.UpdateVaMapping(cpu, k.Va(page), PageFlags.Entry(page, PteFlags.PageKernelRo), 0);
        if (level == PtLevel.Pte && k.Config.SplitPteLocks && !wasPinned)
        {
            // __pin_pagetable_pfn: a fresh entry (__xen_mc_entry), not xen_extend_mmuext_op.
            k.Mc.MmuextOpEntry(cpu, MmuExtOpRequest.Pin(1, page));
        }

        k.Mc.Issue(cpu, k.LazyNow(cpu), LazyMode.Mmu);
    }

    /// <summary>
    /// xen_release_ptpage (xen_release_pte/pmd/pud), as a table is freed: a pinned page is unpinned (an L1) and
    /// remapped read-write; PagePinned is cleared at once even if the batch is still deferred.
    /// </summary>
    public static void ReleasePtpage(Kernel k, int cpu, uint page, PtLevel level)
    {
        if (k.Native)
        {
            // pv_ops.mmu.release_pte/pmd/pud: paravirt_nop.
            return;
        }

        k.Events.Add(cpu, EventKind.ReleasePtpage);
        if (!k.Pinned(page))
        {
            return;
        }

        if (level == PtLevel.Pte && k.Config.SplitPteLocks)
        {
            // __pin_pagetable_pfn(MMUEXT_UNPIN_TABLE): a fresh entry as well.
            k.Mc.MmuextOpEntry(cpu, MmuExtOpRequest.Unpin(page));
        }

        k.Mc.UpdateVaMapping(cpu, k.Va(page), PageFlags.Entry(page, PteFlags.PageKernel), 0);
        k.Mc.Issue(cpu, k.LazyNow(cpu), LazyMode.Mmu);
        k.SetPinned(page, false);
    }
}
