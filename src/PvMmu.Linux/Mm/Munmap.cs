using PvMmu.Events;
using PvMmu.Linux.Multicalls;
using PvMmu.Linux.Pvops;
using PvMmu.Xen.Abi;

namespace PvMmu.Linux.Mm;

/// <summary>
/// munmap of part of an anonymous mapping (mm/mmap.c do_vmi_munmap → unmap_region): zap_pte_range in lazy MMU slices
/// with ptep_get_and_clear (a native xchg: a trap on a pinned L1), free_pgtables for PTE pages the range covers
/// whole, and tlb_finish_mmu's ranged flush (arch/x86/mm/tlb.c flush_tlb_mm_range with Xen's flush hooks) of the
/// range the mmu_gather collected (mm/mmu_gather.c).
/// </summary>
public static class Munmap
{
    /// <summary>tlb_single_page_flush_ceiling: above it, a full flush instead of one INVLPG per page.</summary>
    public const int SinglePageFlushCeiling = 33;

    /// <summary>
    /// Pages an mmu_gather holds before zap_pte_range must flush (include/asm-generic/tlb.h): the 8-entry local
    /// bundle plus MAX_GATHER_BATCH_COUNT = 10000 / MAX_GATHER_BATCH batches of MAX_GATHER_BATCH = (4096 − 16) / 8 = 510.
    /// </summary>
    public const int GatherCapacity = 8 + ((10000 / 510) * 510);

    /// <summary>
    /// Unmaps [start, start + pages·4 KiB) from the mm running on <paramref name="cpu"/>, all at once: the VMA
    /// detached (<see cref="Detach"/>), every zap_pte_range slice (<see cref="ZapSlice"/>), then
    /// <see cref="Finish"/>. The machine's munmap step makes the same calls, one slice per move.
    /// </summary>
    public static void Unmap(Kernel k, int cpu, int mm, ulong start, int pages)
    {
        var end = start + ((ulong)pages << 12);
        var gathered = new List<uint>();
        var range = TlbRange.Empty;
        var fileMapping = MapsFile(k, mm, start);
        Detach(k, mm, start, end);
        for (var slice = 0; ZapSlice(k, cpu, mm, start, end, slice, fileMapping, gathered, ref range); slice++)
        {
        }

        Finish(k, cpu, mm, start, end, gathered, range);
    }

    /// <summary>
    /// do_vmi_align_munmap's first part: the VMAs lose [start, end) (split at either end if they reach past it) and
    /// are detached before unmap_region touches a page table.
    /// </summary>
    public static void Detach(Kernel k, int mm, ulong start, ulong end) => ShrinkVma(k, mm, start, end);

    /// <summary>Whether the VMA holding <paramref name="va"/> maps a file (asked before <see cref="Detach"/>).</summary>
    public static bool MapsFile(Kernel k, int mm, ulong va)
    {
        var v = MmOps.FindVma(k, mm, va);
        return v >= 0 && MmTable.IsFile(k.Mms.VmaFile[v]);
    }

    /// <summary>
    /// unmap_region → unmap_vmas → zap_pte_range over slice <paramref name="index"/> of [start, end) (the part in one
    /// PTE page), as mm/memory.c (6.1) runs it: in lazy MMU mode, each present PTE cleared with ptep_get_and_clear (a
    /// native xchg: a trap on a pinned L1), its address added to the mmu_gather's range (tlb_remove_tlb_entry) and its
    /// page gathered (__tlb_remove_page). The pass ends early when the gather fills (mm/mmu_gather.c
    /// __tlb_remove_page_size returns true: force_flush, addr past the page, break). A pass ends by leaving lazy MMU
    /// mode (one xen_mc_flush); after a forced one, the range cleared so far is flushed (tlb_flush_mmu_tlbonly, which
    /// resets it) and the gathered pages freed (tlb_flush_mmu); then, only if addresses are left in the slice, a new
    /// pass (the "goto again"). When <paramref name="fileMapping"/> (the range was a file's), a dirty page forces the
    /// same flush at the end of its pass (6.1: set_page_dirty, force_flush, so the TLB forgets the dirty PTE before the
    /// page table lock is dropped). False when there is no such slice.
    /// </summary>
    public static bool ZapSlice(Kernel k, int cpu, int mm, ulong start, ulong end, int index, bool fileMapping, List<uint> gathered, ref TlbRange range)
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

        for (var a = va; a < sliceEnd;)
        {
            k.Lazy[cpu] = LazyMode.Mmu;
            var force = false;
            for (; a < sliceEnd; a += 4096)
            {
                var ptep = k.Va(pte) + ((ulong)Layout.PteIndex(a) * 8);
                if (!PageFlags.IsPresent(k.Load(cpu, ptep)))
                {
                    continue;
                }

                var old = k.Xchg(cpu, ptep, 0);
                var page = PageFlags.Mfn(old);
                gathered.Add(page);
                range = range.Add(a, a + 4096);
                force |= fileMapping && (old & PageFlags.Dirty) != 0;
                if (gathered.Count == GatherCapacity)
                {
                    force = true;
                    a += 4096;
                    break;
                }
            }

            // arch_leave_lazy_mmu_mode → xen_leave_lazy_mmu: what the pass queued is issued.
            k.Mc.Flush(cpu);
            k.Lazy[cpu] = LazyMode.None;
            if (force)
            {
                FlushTlbRange(k, cpu, mm, range.Start, range.End);
                range = TlbRange.Empty;
                foreach (var p in gathered)
                {
                    k.PutDataPage(p);
                }

                gathered.Clear();
            }
        }

        return true;
    }

    /// <summary>
    /// unmap_region's end: free_pgtables (the 2 MiB spans of the PTE pages it frees join the range; pte_free_tlb →
    /// tlb_flush_pmd_range adds one page at each such span's start, and the flush then covers at least that), then tlb_finish_mmu → tlb_flush_mmu: the TLB flush of the range gathered since the last
    /// flush, only if something was cleared or freed since (tlb_flush_mmu_tlbonly), and the gathered pages freed.
    /// </summary>
    public static void Finish(Kernel k, int cpu, int mm, ulong start, ulong end, List<uint> gathered, TlbRange range)
    {
        var (freedFrom, freedTo) = FreePgtables(k, cpu, mm, start, end);
        if (freedTo > freedFrom)
        {
            range = range.Add(freedFrom, freedTo);
        }

        if (!range.IsEmpty)
        {
            FlushTlbRange(k, cpu, mm, range.Start, range.End, freedTo > freedFrom);
        }

        foreach (var page in gathered)
        {
            k.PutDataPage(page);
        }

        gathered.Clear();
    }

    /// <summary>
    /// free_pgtables → free_pgd_range(addr, end, floor, ceiling) at the PTE level (mm/memory.c): floor is the end of
    /// the VMA below, ceiling the start of the VMA above (or the top); the range is widened to whole PMD slots, less
    /// the first one if it reaches below the floor and the last one if it reaches above the ceiling; every PTE page
    /// left in it is cleared from its PMD and released. Returns the range of the freed PTE pages (empty: (0, 0)).
    /// PMD and PUD pages are not freed here (a simplification).
    /// </summary>
    private static (ulong From, ulong To) FreePgtables(Kernel k, int cpu, int mm, ulong start, ulong end)
    {
        const ulong pmdSize = 0x20_0000UL;
        ulong floor = 0, ceiling = 0;
        for (var v = 0; v < k.Mms.VmaCount[mm]; v++)
        {
            var i = (mm * MmTable.MaxVmas) + v;
            if (k.Mms.VmaEnd[i] <= start && k.Mms.VmaEnd[i] > floor)
            {
                floor = k.Mms.VmaEnd[i];
            }

            if (k.Mms.VmaStart[i] >= end && (ceiling == 0 || k.Mms.VmaStart[i] < ceiling))
            {
                ceiling = k.Mms.VmaStart[i];
            }
        }

        var addr = start & ~(pmdSize - 1);
        if (addr < floor)
        {
            addr += pmdSize;
        }

        if (ceiling != 0)
        {
            ceiling &= ~(pmdSize - 1);
            if (ceiling == 0)
            {
                return (0, 0);
            }
        }

        if (end - 1 > ceiling - 1)
        {
            end -= pmdSize;
        }

        if (addr > end - 1)
        {
            return (0, 0);
        }

        var pgd = k.Mms.Pgd[mm];
        ulong from = 0, to = 0;
        for (; addr < end; addr += pmdSize)
        {
            var pte = MmOps.FindPteTable(k, cpu, pgd, addr);
            if (pte == 0)
            {
                continue;
            }

            from = to == 0 ? addr : from;
            to = addr + pmdSize;

            var pud = PageFlags.Mfn(k.ReadEntry(cpu, pgd, Layout.PgdIndex(addr)));
            var pmd = PageFlags.Mfn(k.ReadEntry(cpu, pud, Layout.PudIndex(addr)));
            PtSetters.SetUpper(k, cpu, pmd, Layout.PmdIndex(addr), 0, PtLevel.Pmd);
            PtSetters.ReleasePtpage(k, cpu, pte, PtLevel.Pte);
            k.FreePage(pte);
        }

        return (from, to);
    }

    /// <summary>
    /// flush_tlb_mm_range (6.x): another CPU in mm_cpumask → flush_tlb_multi, one hypercall for all of them and this
    /// CPU (INVLPG_MULTI for one page, else TLB_FLUSH_MULTI); otherwise, if the mm is loaded here, a local flush: one
    /// INVLPG_LOCAL per page up to the ceiling, else one TLB_FLUSH_LOCAL. <paramref name="end"/> = ulong.MaxValue
    /// is TLB_FLUSH_ALL. On a native kernel: <see cref="NativeTlb.FlushMmRange"/>, which needs
    /// <paramref name="freedTables"/> (mmu_gather's freed_tables) to pick the CPUs.
    /// </summary>
    public static void FlushTlbRange(Kernel k, int cpu, int mm, ulong start, ulong end, bool freedTables = false)
    {
        if (k.Native)
        {
            NativeTlb.FlushMmRange(k, cpu, mm, start, end, freedTables);
            return;
        }

        var self = 1UL << cpu;
        var mask = k.Mms.CpuMask[mm];
        var full = end == ulong.MaxValue;
        if ((mask & ~self) != 0)
        {
            var targets = mask | (k.LoadedMm[cpu] == mm ? self : 0);
            k.Events.Add(cpu, EventKind.FlushTlbMulti);
            k.Mc.MmuextOpEntry(
                cpu,
                !full && end - start <= 4096 ? MmuExtOpRequest.InvlpgMulti(start, targets) : MmuExtOpRequest.FlushMulti(targets),
                MulticallBuffers.FlushMultiBytes);
            k.Mc.Issue(cpu, k.LazyNow(cpu), LazyMode.Mmu);
            return;
        }

        if (k.LoadedMm[cpu] != mm)
        {
            return;
        }

        if (!full && (end - start) >> 12 <= SinglePageFlushCeiling)
        {
            for (var va = start; va < end; va += 4096)
            {
                k.Events.Add(cpu, EventKind.FlushTlbOneUser);
                k.Mc.MmuextOpEntry(cpu, new MmuExtOpRequest(MmuExtOp.InvlpgLocal, va));
                k.Mc.Issue(cpu, k.LazyNow(cpu), LazyMode.Mmu);
            }

            return;
        }

        k.Mc.MmuextOpEntry(cpu, new MmuExtOpRequest(MmuExtOp.TlbFlushLocal, 0));
        k.Mc.Issue(cpu, k.LazyNow(cpu), LazyMode.Mmu);
    }

    /// <summary>The VMA loses the range: trimmed at either end, or split in two when the hole is inside.</summary>
    private static void ShrinkVma(Kernel k, int mm, ulong start, ulong end)
    {
        for (var v = 0; v < k.Mms.VmaCount[mm]; v++)
        {
            var i = (mm * MmTable.MaxVmas) + v;
            var vs = k.Mms.VmaStart[i];
            var ve = k.Mms.VmaEnd[i];
            if (end <= vs || start >= ve)
            {
                continue;
            }

            if (start <= vs && end >= ve)
            {
                // Removed whole: the last VMA takes its place.
                var last = (mm * MmTable.MaxVmas) + k.Mms.VmaCount[mm] - 1;
                k.Mms.VmaStart[i] = k.Mms.VmaStart[last];
                k.Mms.VmaEnd[i] = k.Mms.VmaEnd[last];
                k.Mms.VmaFile[i] = k.Mms.VmaFile[last];
                k.Mms.VmaCount[mm]--;
                v--;
            }
            else if (start <= vs)
            {
                k.Mms.VmaStart[i] = end;
            }
            else if (end >= ve)
            {
                k.Mms.VmaEnd[i] = start;
            }
            else
            {
                k.Mms.VmaEnd[i] = start;
                MmOps.MapAnonymous(k, mm, end, (int)((ve - end) >> 12));
                k.Mms.VmaFile[(mm * MmTable.MaxVmas) + k.Mms.VmaCount[mm] - 1] = k.Mms.VmaFile[i];
            }
        }
    }
}
