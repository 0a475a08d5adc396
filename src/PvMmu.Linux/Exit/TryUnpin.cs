using PvMmu.Linux.Mm;
using PvMmu.Linux.Pvops;

namespace PvMmu.Linux.Exit;

/// <summary>
/// The thread's "try to unpin but don't treat it as an error" idea, made safe: no IPIs. The mm is left locally;
/// if no other CPU's xen_current_cr3 names the pgd the tables are unpinned as upstream does, otherwise the teardown
/// carries on pinned (trapped PTE clears, hypercalls per table) and the pgds are unpinned at pgd_free.
/// </summary>
public sealed class TryUnpin : IExitStrategy
{
    public string Name => "TryUnpin";

    public void ArchExitMmap(Kernel k, int cpu, int mm)
    {
        if (k.LoadedMm[cpu] == mm)
        {
            MmOps.LeaveMm(k, cpu);
        }

        var pgd = k.Mms.Pgd[mm];
        for (var t = 0; t < k.Cpus; t++)
        {
            if (k.XenCurrentCr3[t] == pgd)
            {
                return;
            }
        }

        if (k.Pinned(pgd))
        {
            Pinning.PgdUnpin(k, cpu, pgd);
        }
    }

    public void PgdFree(Kernel k, int cpu, int mm)
    {
        if (k.Pinned(k.Mms.Pgd[mm]))
        {
            Pinning.PgdUnpin(k, cpu, k.Mms.Pgd[mm]);
        }
    }
}
