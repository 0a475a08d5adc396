using PvMmu.Linux.Pvops;

namespace PvMmu.Linux.Exit;

/// <summary>
/// Deliberately broken: 4.14's lazy TLB (a lazy CPU leaves mm_cpumask) with an IPI mask taken from mm_cpumask
/// alone, ignoring xen_current_cr3 — the combination 94b1b03b519b avoided. A lazy user is never asked to leave.
/// </summary>
public sealed class BrokenCpumaskOnly : IExitStrategy
{
    public string Name => "BrokenCpumaskOnly";

    public bool LazyTlbLeavesCpumask => true;

    public void ArchExitMmap(Kernel k, int cpu, int mm)
    {
        Linux61.DropMmRefThisCpu(k, cpu, mm);
        var mask = k.Mms.CpuMask[mm];
        for (var t = 0; t < k.Cpus; t++)
        {
            if (t != cpu && (mask & (1UL << t)) != 0)
            {
                var target = t;
                k.Ipi(target, () => Linux61.DropMmRefThisCpu(k, target, mm));
            }
        }

        if (k.Pinned(k.Mms.Pgd[mm]))
        {
            Pinning.PgdUnpin(k, cpu, k.Mms.Pgd[mm]);
        }
    }

    public void PgdFree(Kernel k, int cpu, int mm)
    {
    }
}
