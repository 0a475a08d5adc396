using PvMmu.Events;
using PvMmu.Linux.Accounting;
using PvMmu.Linux.Mm;
using PvMmu.Linux.Multicalls;
using PvMmu.Linux.Pvops;
using PvMmu.Xen.Abi;

namespace PvMmu.Linux.Exit;

/// <summary>
/// A task's exit and its mm's teardown: exit_mm (kernel/exit.c), mmput → exit_mmap (mm/mmap.c) with the arch hook
/// first, unmap_vmas → zap_pte_range in lazy MMU slices, free_pgtables, tlb_finish_mmu; and mmdrop → pgd_free.
/// </summary>
public static class ExitPath
{
    /// <summary>
    /// exit_mm: the task keeps the mm lazily (mmgrab, enter_lazy_tlb) and drops its user reference (mmput); the last
    /// user's __mmput runs exit_mmap and then drops the reference all users held together (mmdrop). The lazy
    /// reference stays until the CPU next switches to a user task (finish_task_switch).
    /// </summary>
    public static void ExitMm(Kernel k, int cpu, int mm, IExitStrategy strategy)
    {
        k.Mms.Count[mm]++;
        MmOps.EnterLazyTlb(k, cpu, strategy.LazyTlbLeavesCpumask);
        if (--k.Mms.Users[mm] == 0)
        {
            ExitMmap(k, cpu, mm, strategy);
            MmDrop(k, cpu, mm, strategy);
        }
    }

    /// <summary>exit_mmap: arch_exit_mmap, unmap_vmas, free_pgtables, tlb_finish_mmu, then the pages go back to the allocator.</summary>
    public static void ExitMmap(Kernel k, int cpu, int mm, IExitStrategy strategy)
    {
        strategy.ArchExitMmap(k, cpu, mm);
        var dataPages = new List<uint>();
        for (var slice = 0; ZapSlice(k, cpu, mm, slice, dataPages); slice++)
        {
        }

        FinishExitMmap(k, cpu, mm, dataPages);
    }

    /// <summary>free_pgtables, tlb_finish_mmu, and the gathered pages back to the allocator: exit_mmap after unmap_vmas.</summary>
    public static void FinishExitMmap(Kernel k, int cpu, int mm, List<uint> dataPages)
    {
        var tables = _tables ??= [];
        tables.Clear();
        FreePgtables(k, cpu, mm, tables);
        TlbFinishMmu(k, cpu, mm, freedTables: true);

        // The mmu_gather frees what it collected once the TLBs are flushed.
        foreach (var page in dataPages)
        {
            k.PutDataPage(page);
        }

        foreach (var page in tables)
        {
            k.FreePage(page);
        }

        dataPages.Clear();
        tables.Clear();
        k.Mms.VmaCount[mm] = 0;
    }

    /// <summary>
    /// This thread's list of the table pages free_pgtables releases: a search finishes an exit from a large share of
    /// the states it visits, and a list each time had been most of what it allocated.
    /// </summary>
    [ThreadStatic]
    private static List<uint>? _tables;

    /// <summary>The <paramref name="index"/>-th (VMA × PTE page) range of the mm, in unmap_vmas order.</summary>
    internal static bool SliceAt(Kernel k, int mm, int index, out ulong va, out ulong end) =>
        SliceAt(k, mm, 0, index, out va, out end);

    /// <summary>
    /// The number of (VMA × PTE page) ranges of the mm's VMAs from <paramref name="firstVma"/> on: one per page-table
    /// page a walk over them visits (unmap_vmas, copy_page_range, a fault loop).
    /// </summary>
    internal static int SliceCount(Kernel k, int mm, int firstVma = 0)
    {
        var n = 0;
        while (SliceAt(k, mm, firstVma, n, out _, out _))
        {
            n++;
        }

        return n;
    }

    /// <summary><see cref="SliceAt(Kernel, int, int, out ulong, out ulong)"/> over the VMAs from <paramref name="firstVma"/> on.</summary>
    internal static bool SliceAt(Kernel k, int mm, int firstVma, int index, out ulong va, out ulong end)
    {
        for (var v = firstVma; v < k.Mms.VmaCount[mm]; v++)
        {
            var i = (mm * MmTable.MaxVmas) + v;
            va = k.Mms.VmaStart[i];
            var vend = k.Mms.VmaEnd[i];
            while (va < vend)
            {
                end = Layout.PmdAddrEnd(va, vend);
                if (index-- == 0)
                {
                    return true;
                }

                va = end;
            }
        }

        va = end = 0;
        return false;
    }

    /// <summary>
    /// One zap_pte_range slice of unmap_vmas, in lazy MMU mode: each present PTE is cleared with
    /// ptep_get_and_clear_full (fullmm: a read and a native store, which traps on a pinned L1) and its page gathered.
    /// When the gather fills (<see cref="Munmap.GatherCapacity"/> pages: __tlb_remove_page returns true), 6.1's
    /// zap_pte_range breaks out with force_flush: arch_leave_lazy_mmu_mode (an xen_mc_flush), tlb_flush_mmu_tlbonly
    /// (x86 tlb_flush of a fullmm gather: flush_tlb_mm_range over the whole mm, <see cref="TlbFinishMmu"/>'s flush),
    /// tlb_flush_mmu's free of the gathered pages, and, unless that was the range's last PTE, <c>goto again</c>: lazy
    /// MMU mode entered anew, so the slice ends with one more xen_mc_flush (issue 18's E3; exit's
    /// tlb_gather_mmu_fullmm gathers like munmap's tlb_gather_mmu, so exit restarts too).
    /// False when there is no such slice.
    /// </summary>
    public static bool ZapSlice(Kernel k, int cpu, int mm, int index, List<uint> dataPages)
    {
        if (!SliceAt(k, mm, index, out var va, out var end))
        {
            return false;
        }

        var pte = MmOps.FindPteTable(k, cpu, k.Mms.Pgd[mm], va);
        if (pte == 0)
        {
            return true;
        }

        k.Lazy[cpu] = LazyMode.Mmu;
        for (var a = va; a < end; a += 4096)
        {
            var ptep = k.Va(pte) + ((ulong)Layout.PteIndex(a) * 8);
            var old = k.Load(cpu, ptep);
            if (PageFlags.IsPresent(old))
            {
                k.Store(cpu, ptep, 0);
                dataPages.Add(PageFlags.Mfn(old));
                if (dataPages.Count == Munmap.GatherCapacity && ForceFlush(k, cpu, mm, dataPages, a + 4096 == end))
                {
                    return true;
                }
            }
        }

        // arch_leave_lazy_mmu_mode → xen_leave_lazy_mmu: flush what the slice queued, then leave.
        k.Mc.Flush(cpu);
        k.Lazy[cpu] = LazyMode.None;
        return true;
    }

    /// <summary>
    /// zap_pte_range's force_flush with a full gather: leave lazy MMU mode (xen_mc_flush), flush the mm's TLBs
    /// (tlb_flush_mmu_tlbonly → flush_tlb_mm_range(mm, 0, TLB_FLUSH_ALL)), free the gathered pages (tlb_flush_mmu),
    /// and re-enter lazy MMU mode for the rest of the range (<c>goto again</c>). True when the full page was the
    /// range's last (<paramref name="last"/>): zap_pte_range returns without a restart, its one leave already made.
    /// </summary>
    private static bool ForceFlush(Kernel k, int cpu, int mm, List<uint> dataPages, bool last)
    {
        k.Mc.Flush(cpu);
        k.Lazy[cpu] = LazyMode.None;
        TlbFinishMmu(k, cpu, mm, freedTables: false);
        foreach (var page in dataPages)
        {
            k.PutDataPage(page);
        }

        dataPages.Clear();
        if (last)
        {
            return true;
        }

        k.Lazy[cpu] = LazyMode.Mmu;
        return false;
    }

    /// <summary>
    /// free_pgtables over the whole user half (exit_mmap's floor and ceiling): free_pte_range clears the PMD entry
    /// and releases the PTE page; each PMD page, then PUD page, likewise once its entries are gone (not in lazy mode).
    /// </summary>
    public static void FreePgtables(Kernel k, int cpu, int mm, List<uint> freed)
    {
        var pgd = k.Mms.Pgd[mm];
        for (var i = k.NextUsed(pgd, 0, Layout.UserPgdSlots); i >= 0; i = k.NextUsed(pgd, i + 1, Layout.UserPgdSlots))
        {
            var pgde = k.ReadEntry(cpu, pgd, i);
            if (!PageFlags.IsPresent(pgde))
            {
                continue;
            }

            var pud = PageFlags.Mfn(pgde);
            for (var j = k.NextUsed(pud, 0, 512); j >= 0; j = k.NextUsed(pud, j + 1, 512))
            {
                var pude = k.ReadEntry(cpu, pud, j);
                if (!PageFlags.IsPresent(pude))
                {
                    continue;
                }

                var pmd = PageFlags.Mfn(pude);
                for (var m = k.NextUsed(pmd, 0, 512); m >= 0; m = k.NextUsed(pmd, m + 1, 512))
                {
                    var pmde = k.ReadEntry(cpu, pmd, m);
                    if (!PageFlags.IsPresent(pmde))
                    {
                        continue;
                    }

                    PtSetters.SetUpper(k, cpu, pmd, m, 0, PtLevel.Pmd);
                    PtSetters.ReleasePtpage(k, cpu, PageFlags.Mfn(pmde), PtLevel.Pte);
                    freed.Add(PageFlags.Mfn(pmde));
                }

                PtSetters.SetUpper(k, cpu, pud, j, 0, PtLevel.Pud);
                PtSetters.ReleasePtpage(k, cpu, pmd, PtLevel.Pmd);
                freed.Add(pmd);
            }

            PtSetters.SetP4d(k, cpu, pgd, i, 0);
            PtSetters.ReleasePtpage(k, cpu, pud, PtLevel.Pud);
            freed.Add(pud);
        }
    }

    /// <summary>
    /// tlb_finish_mmu → flush_tlb_mm (6.x, before 6.14's lazy cpumask): other CPUs in mm_cpumask get a flush
    /// hypercall; if the mm is still loaded here, flush_tlb_func on a lazy CPU switches to init_mm instead. On a
    /// native kernel: <see cref="NativeTlb.FlushMmRange"/> over the whole mm, with <paramref name="freedTables"/>.
    /// </summary>
    public static void TlbFinishMmu(Kernel k, int cpu, int mm, bool freedTables = true)
    {
        if (k.Native)
        {
            NativeTlb.FlushMmRange(k, cpu, mm, 0, ulong.MaxValue, freedTables);
            return;
        }

        var others = k.Mms.CpuMask[mm] & ~(1UL << cpu);
        if (others != 0)
        {
            k.Events.Add(cpu, EventKind.FlushTlbMulti);
            k.Mc.MmuextOpEntry(cpu, MmuExtOpRequest.FlushMulti(others | (k.LoadedMm[cpu] == mm ? 1UL << cpu : 0)), MulticallBuffers.FlushMultiBytes);
            k.Mc.Flush(cpu);
        }
        else if (k.LoadedMm[cpu] == mm)
        {
            if (k.IsLazyTlb[cpu])
            {
                MmOps.SwitchMm(k, cpu, 0);
            }
            else
            {
                k.Mc.MmuextOpEntry(cpu, new MmuExtOpRequest(MmuExtOp.TlbFlushLocal, 0));
                k.Mc.Flush(cpu);
            }
        }
    }

    /// <summary>mmdrop: the last reference frees the mm (__mmdrop → pgd_free → xen_pgd_free, pgd_dtor, free pages).</summary>
    public static void MmDrop(Kernel k, int cpu, int mm, IExitStrategy strategy)
    {
        if (--k.Mms.Count[mm] > 0)
        {
            return;
        }

        var pgd = k.Mms.Pgd[mm];
        if (k.Pinned(pgd))
        {
            k.Reach(Branch.PgdFreePinned);
        }

        strategy.PgdFree(k, cpu, mm);
        var user = k.UserPgd(pgd);
        k.SetUserPgd(pgd, 0);
        if (user != 0)
        {
            k.FreePage(user);
        }

        k.FreePage(pgd);
        k.Mms.Live[mm] = false;
    }
}
