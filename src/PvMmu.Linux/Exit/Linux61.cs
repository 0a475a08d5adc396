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

    public void ArchExitMmap(Kernel k, int cpu, int mm)
    {
        DropMmRef(k, cpu, mm);
        if (k.Pinned(k.Mms.Pgd[mm]))
        {
            Pinning.PgdUnpin(k, cpu, k.Mms.Pgd[mm]);
        }
    }

    public void PgdFree(Kernel k, int cpu, int mm)
    {
    }

    /// <summary>xen_drop_mm_ref (V414+): this CPU, then an IPI to each CPU with xen_current_cr3 == pgd.</summary>
    public static void DropMmRef(Kernel k, int cpu, int mm)
    {
        DropMmRefThisCpu(k, cpu, mm);
        var pgd = k.Mms.Pgd[mm];
        for (var t = 0; t < k.Cpus; t++)
        {
            if (t != cpu && k.XenCurrentCr3[t] == pgd)
            {
                k.Ipi(t, () => DropMmRefThisCpu(k, t, mm));
            }
        }
    }

    /// <summary>drop_mm_ref_this_cpu: leave_mm if the mm is loaded; xen_mc_flush if xen_current_cr3 still names its pgd.</summary>
    public static void DropMmRefThisCpu(Kernel k, int cpu, int mm)
    {
        if (k.LoadedMm[cpu] == mm)
        {
            MmOps.LeaveMm(k, cpu);
        }

        if (k.XenCurrentCr3[cpu] == k.Mms.Pgd[mm])
        {
            k.Mc.Flush(cpu);
        }
    }
}
