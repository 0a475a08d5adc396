using PvMmu.Linux.Pvops;

namespace PvMmu.Linux.Exit;

/// <summary>
/// Linux 4.13 (3d28ebceaffa): drop_mm_ref_this_cpu leaves the mm if it is loaded and calls xen_mc_flush() instead
/// of load_cr3(swapper_pg_dir) when xen_current_cr3 still names the pgd; the IPI mask is still mm_cpumask plus the
/// CPUs whose xen_current_cr3 is the pgd.
/// </summary>
public sealed class Linux413 : IExitStrategy
{
    public string Name => "Linux413";

    public void ArchExitMmap(Kernel k, int cpu, int mm)
    {
        Linux61.DropMmRefThisCpu(k, cpu, mm);
        var pgd = k.Mms.Pgd[mm];
        var mask = k.Mms.CpuMask[mm];
        for (var t = 0; t < k.Cpus; t++)
        {
            if (k.XenCurrentCr3[t] == pgd)
            {
                mask |= 1UL << t;
            }
        }

        for (var t = 0; t < k.Cpus; t++)
        {
            if (t != cpu && (mask & (1UL << t)) != 0)
            {
                var target = t;
                k.Ipi(target, () => Linux61.DropMmRefThisCpu(k, target, mm));
            }
        }

        if (k.Pinned(pgd))
        {
            Pinning.PgdUnpin(k, cpu, pgd);
        }
    }

    public void PgdFree(Kernel k, int cpu, int mm)
    {
    }
}
