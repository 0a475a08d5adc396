namespace PvMmu.Linux.Multicalls;

/// <summary>
/// The paravirt lazy mode of a CPU (PARAVIRT_LAZY_* / XEN_LAZY_*), as a mask so that <c>xen_mc_issue(mode)</c>
/// can test "may this flush be deferred now".
/// </summary>
[Flags]
public enum LazyMode : byte
{
    None = 0,

    /// <summary>Lazy MMU mode: page-table updates are batched (zap_pte_range, copy_pte_range, ...).</summary>
    Mmu = 1,

    /// <summary>Lazy CPU mode: the context-switch window, CR3 and friends batched into one multicall.</summary>
    Cpu = 2,
}
