using PvMmu.Events;

namespace PvMmu.Linux.Exit;

/// <summary>
/// An exit-path variant, split at its scheduling point: the local part of arch_exit_mmap, the CPUs it sends an IPI
/// to (read from their per-CPU state at that moment) and what runs there, then the rest (the unpin) once every
/// target has run it. pgd_free's extra work and the version's lazy-TLB rule come with it. A user trying a change
/// writes one class implementing this.
/// </summary>
public interface IExitStrategy
{
    string Name { get; }

    /// <summary>
    /// Whether enter_lazy_tlb clears the CPU from mm_cpumask (4.14-rc1's lazy TLB rework, 94b1b03b519b); before it,
    /// and again from 4.14-rc5 on with is_lazy, a lazy CPU stays in the mask.
    /// </summary>
    bool LazyTlbLeavesCpumask => false;

    /// <summary>
    /// Whether pgd_alloc pins the new pgd at once ("early pin", Xen's guests before 8a181133e2): every table of the
    /// mm is then built on pinned tables. Linux since has pinned late, at the first switch (activate_mm, and fork's
    /// arch_dup_mmap).
    /// </summary>
    bool PinAtAlloc => false;

    /// <summary>The handler the IPIs run; None when the variant sends none.</summary>
    IpiHandler Handler => IpiHandler.None;

    /// <summary>The GFP_ATOMIC fallback: one smp_call_function_single at a time, the caller included if it matches.</summary>
    bool SerialIpis => false;

    /// <summary>The part of arch_exit_mmap before any IPI (the local drop).</summary>
    void DropLocal(Kernel k, int cpu, int mm);

    /// <summary>The CPUs to IPI, computed now from mm_cpumask and the per-CPU xen_current_cr3 values.</summary>
    ulong IpiMask(Kernel k, int cpu, int mm) => 0;

    /// <summary>The rest of arch_exit_mmap, once every IPI has run (the unpin under page_table_lock).</summary>
    void AfterIpis(Kernel k, int cpu, int mm);

    /// <summary>Extra work in xen_pgd_free, before the pgd pages are freed.</summary>
    void PgdFree(Kernel k, int cpu, int mm)
    {
    }

    /// <summary>pv_ops.mmu.exit_mmap run to the end at once: the local drop, each IPI handled on the spot, the rest.</summary>
    void ArchExitMmap(Kernel k, int cpu, int mm)
    {
        DropLocal(k, cpu, mm);
        var mask = IpiMask(k, cpu, mm);
        for (var t = 0; t < k.Cpus; t++)
        {
            if ((mask & (1UL << t)) != 0)
            {
                if (t != cpu)
                {
                    k.Events.Add(cpu, EventKind.IpiSent);
                }

                k.RunIpi(t, Handler, mm);
            }
        }

        AfterIpis(k, cpu, mm);
    }
}
