using PvMmu.Linux.Mm;
using PvMmu.Linux.Pvops;

namespace PvMmu.Linux.Exit;

/// <summary>
/// Linux 4.11 (the thread's kernel): xen_drop_mm_ref leaves the mm locally, then IPIs every CPU in mm_cpumask or
/// with xen_current_cr3 == pgd to run drop_other_mm_ref, which leaves a lazy mm and, if xen_current_cr3 still
/// names the pgd, loads swapper_pg_dir (load_cr3). When the cpumask cannot be allocated (GFP_ATOMIC fails) the
/// same CPUs are called one at a time (<see cref="AtomicAllocFails"/>).
/// </summary>
public sealed class Linux411 : IExitStrategy
{
    public string Name => "Linux411";

    /// <summary>Take the serial smp_call_function_single fallback (CONFIG_CPUMASK_OFFSTACK and no atomic memory).</summary>
    public bool AtomicAllocFails { get; init; }

    public void ArchExitMmap(Kernel k, int cpu, int mm)
    {
        var pgd = k.Mms.Pgd[mm];
        if (k.LoadedMm[cpu] == mm)
        {
            MmOps.LeaveMm(k, cpu);
        }

        var mask = k.Mms.CpuMask[mm];
        for (var t = 0; t < k.Cpus; t++)
        {
            if (k.XenCurrentCr3[t] == pgd)
            {
                mask |= 1UL << t;
            }
        }

        // smp_call_function_many skips the caller; the GFP_ATOMIC fallback calls it too, harmlessly.
        for (var t = 0; t < k.Cpus; t++)
        {
            if ((mask & (1UL << t)) != 0 && (t != cpu || AtomicAllocFails))
            {
                var target = t;
                k.Ipi(target, () => DropOtherMmRef(k, target, mm));
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

    /// <summary>drop_other_mm_ref: leave_mm if lazily on the mm, then load_cr3(swapper_pg_dir) if xen_current_cr3 is still the pgd.</summary>
    private static void DropOtherMmRef(Kernel k, int cpu, int mm)
    {
        if (k.LoadedMm[cpu] == mm && k.IsLazyTlb[cpu])
        {
            MmOps.LeaveMm(k, cpu);
        }

        if (k.XenCurrentCr3[cpu] == k.Mms.Pgd[mm])
        {
            MmOps.WriteCr3(k, cpu, k.SwapperPgd);
        }
    }
}
