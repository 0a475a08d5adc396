using PvMmu.Linux.Accounting;
using PvMmu.Linux.Multicalls;
using PvMmu.Linux.Pvops;
using PvMmu.Xen.Abi;

namespace PvMmu.Linux.Mm;

/// <summary>
/// munmap of part of an anonymous mapping (mm/mmap.c do_vmi_munmap → unmap_region): zap_pte_range in lazy MMU slices
/// with ptep_get_and_clear (a native xchg: a trap on a pinned L1), free_pgtables for PTE pages the range covers
/// whole, and tlb_finish_mmu's ranged flush (arch/x86/mm/tlb.c flush_tlb_mm_range with Xen's flush hooks).
/// </summary>
public static class Munmap
{
    /// <summary>tlb_single_page_flush_ceiling: above it, a full flush instead of one INVLPG per page.</summary>
    public const int SinglePageFlushCeiling = 33;

    /// <summary>Unmaps [start, start + pages·4 KiB) from the mm running on <paramref name="cpu"/>.</summary>
    public static void Unmap(Kernel k, int cpu, int mm, ulong start, int pages)
    {
        var end = start + ((ulong)pages << 12);
        var pgd = k.Mms.Pgd[mm];
        var gathered = new List<uint>();
        var emptied = new List<(ulong Va, uint Pte)>();
        for (var va = start; va < end;)
        {
            var sliceEnd = Math.Min(end, (va | 0x1F_FFFFUL) + 1);
            var pte = MmOps.FindPteTable(k, cpu, pgd, va);
            if (pte != 0)
            {
                k.Lazy[cpu] = LazyMode.Mmu;
                for (var a = va; a < sliceEnd; a += 4096)
                {
                    var ptep = k.Va(pte) + ((ulong)Layout.PteIndex(a) * 8);
                    if (PageFlags.IsPresent(k.Load(cpu, ptep)))
                    {
                        gathered.Add(PageFlags.Mfn(k.Xchg(cpu, ptep, 0)));
                    }
                }

                k.Mc.Flush(cpu);
                k.Lazy[cpu] = LazyMode.None;

                // free_pgtables will free a PTE page whose whole 2 MiB the range covers.
                if ((va & 0x1F_FFFFUL) == 0 && sliceEnd - va == 0x20_0000UL)
                {
                    emptied.Add((va, pte));
                }
            }

            va = sliceEnd;
        }

        // free_pgtables, after every slice is zapped: free_pte_range clears the PMD entry and releases the page.
        foreach (var (va, pte) in emptied)
        {
            var pud = PageFlags.Mfn(k.ReadEntry(cpu, pgd, Layout.PgdIndex(va)));
            var pmd = PageFlags.Mfn(k.ReadEntry(cpu, pud, Layout.PudIndex(va)));
            PtSetters.SetUpper(k, cpu, pmd, Layout.PmdIndex(va), 0, PtLevel.Pmd);
            PtSetters.ReleasePtpage(k, cpu, pte, PtLevel.Pte);
            k.FreePage(pte);
        }

        ShrinkVma(k, mm, start, end);
        FlushTlbRange(k, cpu, mm, start, end);
        foreach (var page in gathered)
        {
            k.PutDataPage(page);
        }
    }

    /// <summary>
    /// flush_tlb_mm_range (6.x): another CPU in mm_cpumask → flush_tlb_multi, one hypercall for all of them and this
    /// CPU (INVLPG_MULTI for one page, else TLB_FLUSH_MULTI); otherwise, if the mm is loaded here, a local flush: one
    /// INVLPG_LOCAL per page up to the ceiling, else one TLB_FLUSH_LOCAL. <paramref name="end"/> = ulong.MaxValue
    /// is TLB_FLUSH_ALL.
    /// </summary>
    public static void FlushTlbRange(Kernel k, int cpu, int mm, ulong start, ulong end)
    {
        var self = 1UL << cpu;
        var mask = k.Mms.CpuMask[mm];
        var full = end == ulong.MaxValue;
        if ((mask & ~self) != 0)
        {
            var targets = mask | (k.LoadedMm[cpu] == mm ? self : 0);
            k.Counts.Add(cpu, Tracepoint.FlushTlbMulti);
            k.Mc.ExtendMmuextOp(cpu, !full && end - start <= 4096
                ? MmuExtOpRequest.InvlpgMulti(start, targets)
                : MmuExtOpRequest.FlushMulti(targets));
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
                k.Counts.Add(cpu, Tracepoint.FlushTlbOneUser);
                k.Mc.ExtendMmuextOp(cpu, new MmuExtOpRequest(MmuExtOp.InvlpgLocal, va));
                k.Mc.Issue(cpu, k.LazyNow(cpu), LazyMode.Mmu);
            }

            return;
        }

        k.Mc.ExtendMmuextOp(cpu, new MmuExtOpRequest(MmuExtOp.TlbFlushLocal, 0));
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
            }
        }
    }
}
