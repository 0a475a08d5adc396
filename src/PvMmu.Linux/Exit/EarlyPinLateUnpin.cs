namespace PvMmu.Linux.Exit;

/// <summary>
/// The pinning policy Xen's Linux guests had before Xen commit 8a181133e2 ("late pin, early unpin", 2005): the pgd is
/// pinned as pgd_alloc creates it and unpinned only in pgd_free. Every table of a new mm is therefore built on
/// pinned tables (fork's copies are validated updates, each new table page is made read-only and pinned) and the
/// teardown runs on pinned tables, as in <see cref="NoExitUnpin"/>. The other half of the cost calibration: its
/// lmbench deltas against <see cref="Linux61"/> are fitted to the commit's.
/// </summary>
public sealed class EarlyPinLateUnpin : IExitStrategy
{
    public string Name => "EarlyPinLateUnpin";

    public bool PinAtAlloc => true;

    public void DropLocal(Kernel k, int cpu, int mm)
    {
    }

    public void AfterIpis(Kernel k, int cpu, int mm)
    {
    }

    public void PgdFree(Kernel k, int cpu, int mm) => Linux61.UnpinIfPinned(k, cpu, mm);
}
