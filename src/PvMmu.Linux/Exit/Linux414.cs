namespace PvMmu.Linux.Exit;

/// <summary>
/// Linux 4.14 (94b1b03b519b): lazy CPUs leave mm_cpumask, so xen_drop_mm_ref stops trusting it and IPIs exactly the
/// CPUs whose xen_current_cr3 is the pgd — the rule every later kernel keeps (<see cref="Linux61"/>).
/// </summary>
public sealed class Linux414 : IExitStrategy
{
    public string Name => "Linux414";

    public bool LazyTlbLeavesCpumask => true;

    public void ArchExitMmap(Kernel k, int cpu, int mm)
    {
        Linux61.DropMmRef(k, cpu, mm);
        if (k.Pinned(k.Mms.Pgd[mm]))
        {
            PvMmu.Linux.Pvops.Pinning.PgdUnpin(k, cpu, k.Mms.Pgd[mm]);
        }
    }

    public void PgdFree(Kernel k, int cpu, int mm)
    {
    }
}
