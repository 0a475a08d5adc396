namespace PvMmu.Linux.Exit;

/// <summary>The function an exit path runs on other CPUs by IPI, as data so that a pending IPI can be snapshotted.</summary>
public enum IpiHandler : byte
{
    None,

    /// <summary>drop_other_mm_ref (Linux 4.11): leave a lazy mm, then load_cr3(swapper_pg_dir) if xen_current_cr3 is still the pgd.</summary>
    DropOtherMmRef,

    /// <summary>drop_mm_ref_this_cpu (4.13 on): leave the mm if loaded, then xen_mc_flush() if xen_current_cr3 is still the pgd.</summary>
    DropMmRefThisCpu,
}
