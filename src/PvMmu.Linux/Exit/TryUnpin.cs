using PvMmu.Linux.Mm;

namespace PvMmu.Linux.Exit;

/// <summary>
/// The thread's "try to unpin but don't treat it as an error" idea, made safe: no IPIs. The mm is left locally;
/// if no other CPU's xen_current_cr3 names the pgd the tables are unpinned as upstream does, otherwise the teardown
/// carries on pinned (trapped PTE clears, hypercalls per table) and the pgds are unpinned at pgd_free.
/// </summary>
public sealed class TryUnpin : IExitStrategy
{
    public string Name => "TryUnpin";

    public void DropLocal(Kernel k, int cpu, int mm)
    {
        if (k.LoadedMm[cpu] == mm)
        {
            MmOps.LeaveMm(k, cpu);
        }
    }

    public void AfterIpis(Kernel k, int cpu, int mm)
    {
        if (Linux61.CurrentCr3Mask(k, cpu, mm) == 0 && k.XenCurrentCr3[cpu] != k.Mms.Pgd[mm])
        {
            Linux61.UnpinIfPinned(k, cpu, mm);
        }
    }

    public void PgdFree(Kernel k, int cpu, int mm) => Linux61.UnpinIfPinned(k, cpu, mm);
}
