namespace PvMmu.Linux.Accounting;

/// <summary>
/// Named branches of the modeled kernel code whose reach a search reports (coverage), each named
/// <c>function:branch</c> after the real code. A move sets the bits of the branches it took in
/// <see cref="Kernel.Branches"/>; a search counts, per branch, the explored states whose incoming move took it.
/// </summary>
public enum Branch : byte
{
    /// <summary>xen_drop_mm_ref (arch/x86/xen/mmu_pv.c): an IPI sent to a vCPU that still holds the mm (loaded, or in xen_current_cr3).</summary>
    XenDropMmRefIpi,

    /// <summary>drop_mm_ref_this_cpu (4.13 on): the mm is this CPU's loaded mm, so leave_mm.</summary>
    DropMmRefThisCpuLeaveMm,

    /// <summary>drop_other_mm_ref (4.11): the mm is lazily loaded here, so leave_mm.</summary>
    DropOtherMmRefLeaveMm,

    /// <summary>drop_other_mm_ref (4.11): xen_current_cr3 still names the pgd after leave_mm, so load_cr3(swapper_pg_dir).</summary>
    DropOtherMmRefLoadCr3,

    /// <summary>drop_mm_ref_this_cpu (4.13's drop_other_mm_ref): xen_current_cr3 still names the pgd, so xen_mc_flush().</summary>
    DropOtherMmRefXenMcFlush,

    /// <summary>An IPI's handler ran on a vCPU whose multicall buffer held entries not yet issued.</summary>
    IpiQueuedMulticalls,

    /// <summary>exit_mmap began while two or more other vCPUs lazily held the dying mm.</summary>
    ExitMmapLazyBorrowers2,

    /// <summary>pgd_free (xen_pgd_free) ran on a pgd that was still pinned.</summary>
    PgdFreePinned,

    /// <summary>An IPI was taken by a vCPU halted in SCHEDOP_block (the idle task, which lazily borrows an mm).</summary>
    IpiWokeHaltedCpu,

    /// <summary>An IPI was taken between a context switch's end (the CR3 switch issued) and its finish (the lazy mm dropped).</summary>
    IpiBeforeFinishTaskSwitch,

    /// <summary>xen_exit_mmap's unpin (xen_pgd_unpin under page_table_lock) ran.</summary>
    XenExitMmapUnpin,
}
