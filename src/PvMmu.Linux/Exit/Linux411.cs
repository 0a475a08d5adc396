using PvMmu.Linux.Mm;

namespace PvMmu.Linux.Exit;

/// <summary>
/// Linux 4.11 (the thread's kernel): xen_drop_mm_ref leaves the mm locally, then IPIs every CPU in mm_cpumask or
/// with xen_current_cr3 == pgd to run drop_other_mm_ref, which leaves a lazy mm and, if xen_current_cr3 still
/// names the pgd, loads swapper_pg_dir (load_cr3). When the cpumask cannot be allocated (GFP_ATOMIC fails) the
/// same CPUs are called one at a time, the caller included if it still matches (<see cref="AtomicAllocFails"/>).
/// </summary>
public sealed class Linux411 : IExitStrategy
{
    public string Name => "Linux411";

    /// <summary>Take the serial smp_call_function_single fallback (CONFIG_CPUMASK_OFFSTACK and no atomic memory).</summary>
    public bool AtomicAllocFails { get; init; }

    public IpiHandler Handler => IpiHandler.DropOtherMmRef;

    public bool SerialIpis => AtomicAllocFails;

    public void DropLocal(Kernel k, int cpu, int mm)
    {
        if (k.LoadedMm[cpu] == mm)
        {
            MmOps.LeaveMm(k, cpu);
        }
    }

    public ulong IpiMask(Kernel k, int cpu, int mm)
    {
        var mask = k.Mms.CpuMask[mm];
        for (var t = 0; t < k.Cpus; t++)
        {
            if (k.XenCurrentCr3[t] == k.Mms.Pgd[mm])
            {
                mask |= 1UL << t;
            }
        }

        // smp_call_function_many skips the caller; the serial fallback calls it too.
        return AtomicAllocFails ? mask : mask & ~(1UL << cpu);
    }

    public void AfterIpis(Kernel k, int cpu, int mm) => Linux61.UnpinIfPinned(k, cpu, mm);
}
