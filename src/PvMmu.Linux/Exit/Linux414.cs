namespace PvMmu.Linux.Exit;

/// <summary>
/// Linux 4.14 (94b1b03b519b): lazy CPUs leave mm_cpumask, so xen_drop_mm_ref stops trusting it and IPIs exactly the
/// CPUs whose xen_current_cr3 is the pgd — the rule every later kernel keeps (<see cref="Linux61"/>).
/// </summary>
public sealed class Linux414 : IExitStrategy
{
    public string Name => "Linux414";

    public bool LazyTlbLeavesCpumask => true;

    public IpiHandler Handler => IpiHandler.DropMmRefThisCpu;

    public void DropLocal(Kernel k, int cpu, int mm) => Linux61.DropMmRefThisCpu(k, cpu, mm);

    public ulong IpiMask(Kernel k, int cpu, int mm) => Linux61.CurrentCr3Mask(k, cpu, mm);

    public void AfterIpis(Kernel k, int cpu, int mm) => Linux61.UnpinIfPinned(k, cpu, mm);
}
