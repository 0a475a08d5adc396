using PvMmu.Events;
using PvMmu.Linux.Multicalls;
using PvMmu.Xen.Abi;

namespace PvMmu.Linux.Mm;

/// <summary>
/// mprotect of part of an anonymous mapping (mm/mprotect.c, 6.1: do_mprotect_pkey → mprotect_fixup →
/// change_protection → change_protection_range, before 6.2 gave it an mmu_gather): change_pte_range per PTE page in
/// lazy MMU mode, each present PTE through ptep_modify_prot_start/commit, which a PV guest has Xen do
/// (arch/x86/xen/mmu_pv.c xen_ptep_modify_prot_start: a read; xen_ptep_modify_prot_commit: an mmu_update with
/// MMU_PT_UPDATE_PRESERVE_AD, queued in the multicall batch and issued when lazy MMU mode ends or the batch fills),
/// then flush_tlb_range over the whole range if any PTE was committed.
/// </summary>
public static class Mprotect
{
    /// <summary>Changes the protection of [start, start + pages·4 KiB) of <paramref name="mm"/> all at once.</summary>
    public static void Change(Kernel k, int cpu, int mm, ulong start, int pages, bool writable)
    {
        var end = start + ((ulong)pages << 12);
        var changed = false;
        for (var slice = 0; ChangeSlice(k, cpu, mm, start, end, slice, writable, ref changed); slice++)
        {
        }

        Finish(k, cpu, mm, start, end, changed);
    }

    /// <summary>
    /// change_pte_range over slice <paramref name="index"/> of [start, end) (the part in one PTE page), in lazy MMU
    /// mode: each present PTE read (ptep_modify_prot_start), given the new protection (pte_modify keeps the frame, A
    /// and D) and committed (ptep_modify_prot_commit). PROT_READ clears RW. PROT_READ|PROT_WRITE on a private mapping
    /// gives RW back only where can_change_pte_writable allows it (MM_CP_TRY_CHANGE_WRITABLE): an anonymous page this
    /// mm alone holds (PageAnonExclusive; here: one reference) whose PTE is dirty; a page still shared after fork stays
    /// read-only (a write to it is a copy-on-write fault). Every present PTE is committed, changed or not (pages++).
    /// False when there is no such slice; <paramref name="changed"/> becomes true once a PTE is committed.
    /// </summary>
    public static bool ChangeSlice(Kernel k, int cpu, int mm, ulong start, ulong end, int index, bool writable, ref bool changed)
    {
        if (!Layout.RangeSlice(start, end, index, out var va, out var sliceEnd))
        {
            return false;
        }

        var pte = MmOps.FindPteTable(k, cpu, k.Mms.Pgd[mm], va);
        if (pte == 0)
        {
            return true;
        }

        k.Lazy[cpu] = LazyMode.Mmu;
        for (var a = va; a < sliceEnd; a += 4096)
        {
            var slot = Layout.PteIndex(a);
            var old = k.Load(cpu, k.Va(pte) + ((ulong)slot * 8));
            if (!PageFlags.IsPresent(old))
            {
                continue;
            }

            if (!k.Native)
            {
                k.Events.Add(cpu, EventKind.PtepModifyProtStart);
            }

            var pteNew = old & ~PageFlags.Rw;
            if (writable && (old & PageFlags.Dirty) != 0 && k.PageRef(PageFlags.Mfn(old)) == 1)
            {
                pteNew |= PageFlags.Rw;
            }

            if (k.Native)
            {
                // Native ptep_modify_prot_start/commit: ptep_get_and_clear (xchg), then set_pte_at (a store).
                var ptep = k.Va(pte) + ((ulong)slot * 8);
                k.Xchg(cpu, ptep, 0);
                k.Store(cpu, ptep, pteNew);
                changed = true;
                continue;
            }

            k.Events.Add(cpu, EventKind.PtepModifyProtCommit);
            k.Mc.ExtendMmuUpdate(cpu, MmuUpdateRequest.PreserveAd(pte, slot, pteNew));
            k.Mc.Issue(cpu, k.LazyNow(cpu), LazyMode.Mmu);
            changed = true;
        }

        // arch_leave_lazy_mmu_mode → xen_leave_lazy_mmu: the queued commits issued.
        k.Mc.Flush(cpu);
        k.Lazy[cpu] = LazyMode.None;
        return true;
    }

    /// <summary>change_protection_range's end: flush_tlb_range(vma, start, end) when a PTE was committed.</summary>
    public static void Finish(Kernel k, int cpu, int mm, ulong start, ulong end, bool changed)
    {
        if (changed)
        {
            Munmap.FlushTlbRange(k, cpu, mm, start, end);
        }
    }
}
