namespace PvMmu.Linux.Exit;

/// <summary>
/// What an exit-path variant decides: the arch_exit_mmap hook (xen_exit_mmap upstream) and what pgd_free does
/// besides freeing (upstream: nothing; the seed thread's patch: unpin there). A user trying a change writes one
/// class implementing this.
/// </summary>
public interface IExitStrategy
{
    string Name { get; }

    /// <summary>pv_ops.mmu.exit_mmap: runs at the start of exit_mmap, before any teardown write.</summary>
    void ArchExitMmap(Kernel k, int cpu, int mm);

    /// <summary>Extra work in xen_pgd_free, before the pgd pages are freed.</summary>
    void PgdFree(Kernel k, int cpu, int mm);

    /// <summary>
    /// Whether enter_lazy_tlb clears the CPU from mm_cpumask (4.14-rc1's lazy TLB rework, 94b1b03b519b); before it,
    /// and again from 4.14-rc5 on with is_lazy, a lazy CPU stays in the mask.
    /// </summary>
    bool LazyTlbLeavesCpumask => false;
}
