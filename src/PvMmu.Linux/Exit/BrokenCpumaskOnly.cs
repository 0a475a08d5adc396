namespace PvMmu.Linux.Exit;

/// <summary>
/// Deliberately broken: 4.14's lazy TLB (a lazy CPU leaves mm_cpumask) with an IPI mask taken from mm_cpumask
/// alone, ignoring xen_current_cr3 — the combination 94b1b03b519b avoided. A lazy user is never asked to leave.
/// </summary>
public sealed class BrokenCpumaskOnly : IExitStrategy
{
    public string Name => "BrokenCpumaskOnly";

    public bool LazyTlbLeavesCpumask => true;

    public IpiHandler Handler => IpiHandler.DropMmRefThisCpu;

    public void DropLocal(Kernel k, int cpu, int mm) => Linux61.DropMmRefThisCpu(k, cpu, mm);

    public ulong IpiMask(Kernel k, int cpu, int mm) => k.Mms.CpuMask[mm] & ~(1UL << cpu);

    public void AfterIpis(Kernel k, int cpu, int mm) => Linux61.UnpinIfPinned(k, cpu, mm);
}
