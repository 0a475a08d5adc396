using PvMmu.Linux.Mm;

namespace PvMmu.Linux.Pvops;

/// <summary>
/// A native kernel's TLB flushes (arch/x86/mm/tlb.c, 6.1, pv_ops.mmu.flush_tlb_multi = native_flush_tlb_multi) on
/// the bare machine: flush_tlb_mm_range, flush_tlb_func and the IPIs of on_each_cpu_(cond_)mask. Linux's lazy-TLB
/// rules decide who is reached; the hardware work is the bare machine's (Hypervisor.Bare*).
/// </summary>
public static class NativeTlb
{
    /// <summary>
    /// flush_tlb_mm_range(mm, start, end, freed_tables): with another CPU in mm_cpumask, native_flush_tlb_multi runs
    /// flush_tlb_func on every CPU of the mask — all of them when page tables were freed (on_each_cpu_mask), else only
    /// those not in lazy TLB mode (on_each_cpu_cond_mask(tlb_is_not_lazy)) — this CPU directly, the others by IPI;
    /// otherwise flush_tlb_func here if the mm is loaded. <paramref name="end"/> = ulong.MaxValue is TLB_FLUSH_ALL;
    /// more than tlb_single_page_flush_ceiling pages are a full flush.
    /// </summary>
    public static void FlushMmRange(Kernel k, int cpu, int mm, ulong start, ulong end, bool freedTables)
    {
        var self = 1UL << cpu;
        var mask = k.Mms.CpuMask[mm];
        var full = end == ulong.MaxValue || (end - start) >> 12 > Munmap.SinglePageFlushCeiling;
        var pages = full ? 0 : (int)((end - start) >> 12);
        if ((mask & ~self) == 0)
        {
            if (k.LoadedMm[cpu] == mm)
            {
                FlushFunc(k, cpu, start, pages);
            }

            return;
        }

        if ((mask & self) != 0 && (freedTables || !k.IsLazyTlb[cpu]))
        {
            FlushFunc(k, cpu, start, pages);
        }

        ulong targets = 0, lazy = 0;
        for (var m = mask & ~self; m != 0; m &= m - 1)
        {
            var t = System.Numerics.BitOperations.TrailingZeroCount(m);
            if (k.IsLazyTlb[t])
            {
                if (!freedTables)
                {
                    continue;
                }

                lazy |= 1UL << t;
            }

            targets |= 1UL << t;
        }

        k.Xen.BareRemoteFlush(cpu, targets, start, pages);

        // flush_tlb_func on a lazy CPU: switch_mm_irqs_off(NULL, &init_mm) rather than a flush.
        for (var m = lazy; m != 0; m &= m - 1)
        {
            MmOps.SwitchMm(k, System.Numerics.BitOperations.TrailingZeroCount(m), 0);
        }
    }

    /// <summary>
    /// flush_tlb_func on this CPU: a lazy CPU switches to init_mm instead; else flush_tlb_one_user (INVLPG) per page,
    /// or (<paramref name="pages"/> = 0) flush_tlb_local.
    /// </summary>
    private static void FlushFunc(Kernel k, int cpu, ulong start, int pages)
    {
        if (k.IsLazyTlb[cpu])
        {
            MmOps.SwitchMm(k, cpu, 0);
            return;
        }

        if (pages == 0)
        {
            k.Xen.BareFlushLocal(cpu);
            return;
        }

        for (var p = 0; p < pages; p++)
        {
            k.Xen.BareInvlpg(cpu, start + ((ulong)p << 12));
        }
    }
}
