namespace PvMmu.Xen.Events;

/// <summary>
/// What the hypervisor model counts, per vCPU and per phase, for the cost model. Counts never depend on prices.
/// </summary>
public enum XenEvent
{
    /// <summary>A guest→Xen hypercall entry (SYSCALL), continuation re-entries included.</summary>
    Hypercall,

    /// <summary>A hypercall continuation: the guest returns to the same SYSCALL and re-executes it.</summary>
    Continuation,

    /// <summary>One entry processed by HYPERVISOR_multicall.</summary>
    MulticallEntry,

    /// <summary>One mmu_update request processed (successful or not).</summary>
    MmuUpdateRequest,

    /// <summary>One mmuext_op command processed.</summary>
    MmuExtOp,

    /// <summary>One update_va_mapping call.</summary>
    UpdateVaMapping,

    /// <summary>A page-table frame promoted (validate_page on an L1–L4 whose type count went 0→1).</summary>
    TableValidated,

    /// <summary>Present entries checked while promoting tables.</summary>
    EntriesValidated,

    /// <summary>A page-table frame demoted (devalidate_page on its last type reference).</summary>
    TableDevalidated,

    /// <summary>Present entries released while demoting tables.</summary>
    EntriesDevalidated,

    /// <summary>A guest write to a read-only mapped L1 emulated by ptwr.</summary>
    PtwrEmulation,

    /// <summary>A page fault injected into the guest (write to RO table, not present, ...).</summary>
    FaultInjected,

    /// <summary>A full flush of this vCPU's own TLB (it ticks the TLB clock).</summary>
    LocalFlush,

    /// <summary>A single-address invalidation (INVLPG) on this vCPU's own TLB.</summary>
    LocalInvlpg,

    /// <summary>A flush that had to reach other CPUs: one IPI broadcast, the caller waiting for all.</summary>
    RemoteFlush,

    /// <summary>The number of other CPUs targeted by remote flushes.</summary>
    RemoteFlushTargets,

    /// <summary>A CR3 load by Xen (write_ptbase): NEW_BASEPTR and vCPU initialisation.</summary>
    Cr3Load,

    /// <summary>A type change that needed a (timestamp-filtered) flush.</summary>
    TypeChangeFlush,

    /// <summary>A guest kernel/user mode switch (_toggle_guest_pt): a CR3 write that keeps global entries.</summary>
    ModeSwitch,

    /// <summary>A guest load or store that completed through the TLB or a table walk.</summary>
    GuestAccess,

    /// <summary>A TLB miss: the walk of the guest's tables that filled an entry.</summary>
    TlbFill,

    /// <summary>A hypercall (or multicall entry) that returned an error.</summary>
    HypercallError,
}
