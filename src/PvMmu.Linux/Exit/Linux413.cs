namespace PvMmu.Linux.Exit;

/// <summary>
/// Linux 4.13 (3d28ebceaffa): drop_mm_ref_this_cpu leaves the mm if it is loaded and calls xen_mc_flush() instead
/// of load_cr3(swapper_pg_dir) when xen_current_cr3 still names the pgd; the IPI mask is still mm_cpumask plus the
/// CPUs whose xen_current_cr3 is the pgd.
/// </summary>
public sealed class Linux413 : IExitStrategy
{
    public string Name => "Linux413";

    public IpiHandler Handler => IpiHandler.DropMmRefThisCpu;

    public void DropLocal(Kernel k, int cpu, int mm) => Linux61.DropMmRefThisCpu(k, cpu, mm);

    public ulong IpiMask(Kernel k, int cpu, int mm) =>
        (k.Mms.CpuMask[mm] & ~(1UL << cpu)) | Linux61.CurrentCr3Mask(k, cpu, mm);

    public void AfterIpis(Kernel k, int cpu, int mm) => Linux61.UnpinIfPinned(k, cpu, mm);
}
