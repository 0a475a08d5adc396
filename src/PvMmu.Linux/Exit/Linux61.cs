using PvMmu.Linux.Accounting;
using PvMmu.Linux.Mm;
using PvMmu.Linux.Pvops;

namespace PvMmu.Linux.Exit;

/// <summary>
/// xen_exit_mmap as Linux 4.14 through 6.x (and 2026) have it (arch/x86/xen/mmu_pv.c): xen_drop_mm_ref forces
/// every CPU off the mm — locally, and by IPI to every CPU whose xen_current_cr3 is the mm's pgd — then the tables
/// are unpinned under page_table_lock, so that the teardown's writes are plain stores.
/// </summary>
public sealed class Linux61 : IExitStrategy
{
    public string Name => "Linux61";

    public IpiHandler Handler => IpiHandler.DropMmRefThisCpu;

    public void DropLocal(Kernel k, int cpu, int mm) => DropMmRefThisCpu(k, cpu, mm);

    public ulong IpiMask(Kernel k, int cpu, int mm) => CurrentCr3Mask(k, cpu, mm);

    public void AfterIpis(Kernel k, int cpu, int mm) => UnpinIfPinned(k, cpu, mm);

    /// <summary>The other online CPUs whose xen_current_cr3 is the mm's pgd.</summary>
    public static ulong CurrentCr3Mask(Kernel k, int cpu, int mm)
    {
        ulong mask = 0;
        for (var t = 0; t < k.Cpus; t++)
        {
            if (t != cpu && k.XenCurrentCr3[t] == k.Mms.Pgd[mm])
            {
                mask |= 1UL << t;
            }
        }

        return mask;
    }

    /// <summary>xen_exit_mmap's second half: unpin under page_table_lock if the pgd is pinned.</summary>
    public static void UnpinIfPinned(Kernel k, int cpu, int mm)
    {
        if (k.Pinned(k.Mms.Pgd[mm]))
        {
            k.Reach(Branch.XenExitMmapUnpin);
            Pinning.PgdUnpin(k, cpu, k.Mms.Pgd[mm]);
        }
    }

    /// <summary>drop_mm_ref_this_cpu: leave_mm if the mm is loaded; xen_mc_flush if xen_current_cr3 still names its pgd.</summary>
    public static void DropMmRefThisCpu(Kernel k, int cpu, int mm)
    {
        if (k.LoadedMm[cpu] == mm)
        {
            k.Reach(Branch.DropMmRefThisCpuLeaveMm);
            MmOps.LeaveMm(k, cpu);
        }

        if (k.XenCurrentCr3[cpu] == k.Mms.Pgd[mm])
        {
            if (k.InInterrupt[cpu])
            {
                k.Reach(Branch.DropOtherMmRefXenMcFlush);
            }

            k.Mc.Flush(cpu);
        }
    }

    /// <summary>drop_other_mm_ref (4.11): leave a lazily used mm; load_cr3(swapper_pg_dir) if xen_current_cr3 is still the pgd.</summary>
    public static void DropOtherMmRef(Kernel k, int cpu, int mm)
    {
        if (k.LoadedMm[cpu] == mm && k.IsLazyTlb[cpu])
        {
            k.Reach(Branch.DropOtherMmRefLeaveMm);
            MmOps.LeaveMm(k, cpu);
        }

        if (k.XenCurrentCr3[cpu] == k.Mms.Pgd[mm])
        {
            k.Reach(Branch.DropOtherMmRefLoadCr3);
            MmOps.WriteCr3(k, cpu, k.SwapperPgd);
        }
    }
}
