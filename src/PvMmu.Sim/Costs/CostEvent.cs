namespace PvMmu.Sim.Costs;

/// <summary>
/// Every counted event the cost model prices, hypervisor side then guest side. Each maps to exactly one counter of
/// one model (see <see cref="CostCounts"/>); the TOML key of a price is the snake_case name (hypercall_entry, ...).
/// </summary>
public enum CostEvent
{
    /// <summary>A guest→Xen hypercall entry and its return (continuations re-enter and are charged again).</summary>
    HypercallEntry,

    /// <summary>One entry processed by HYPERVISOR_multicall: the dispatch around the call it carries.</summary>
    MulticallEntry,

    /// <summary>One mmu_update request: decode, get_page_from_l?e on the new entry, put on the old, the write.</summary>
    MmuUpdateRequest,

    /// <summary>One mmuext_op command (pin, unpin, new baseptr, flush, ...): its dispatch and fixed work.</summary>
    MmuextOp,

    /// <summary>One update_va_mapping call: the linear-map walk and the entry update.</summary>
    UpdateVaMapping,

    /// <summary>One present entry checked while a table is validated (pin, or promotion of a new table).</summary>
    EntryValidated,

    /// <summary>One present entry released while a table is devalidated (unpin, or a demotion).</summary>
    EntryDevalidated,

    /// <summary>A write to a read-only mapped page table trapped by Xen and emulated (ptwr): fault, decode, validate, write.</summary>
    PtwrTrap,

    /// <summary>A page fault injected into the guest (bounce frame).</summary>
    InjectedFault,

    /// <summary>A full flush of the local TLB (without PCID: the refill is part of it).</summary>
    LocalFlush,

    /// <summary>A single-address invalidation (INVLPG) of the local TLB.</summary>
    LocalInvlpg,

    /// <summary>A flush that reached other CPUs: the initiator's fixed cost of one broadcast and its wait.</summary>
    RemoteFlush,

    /// <summary>Each target vCPU of a remote flush: its IPI and flush.</summary>
    RemoteFlushTarget,

    /// <summary>A CR3 load by Xen (new baseptr): the write and the TLB refill that follows.</summary>
    Cr3Load,

    /// <summary>The TLB flush Xen does when a frame's type changes under a possible stale mapping (XSA-401 rule).</summary>
    TypeChangeFlush,

    /// <summary>A guest kernel/user page-table switch (toggle_guest_pt).</summary>
    ModeSwitch,

    /// <summary>A TLB miss: the walk of the guest's tables.</summary>
    TlbFill,

    /// <summary>An IPI sent by the guest (an event-channel notification through Xen).</summary>
    IpiSent,

    /// <summary>An IPI taken: the upcall, the handler's entry and exit.</summary>
    IpiHandled,

    /// <summary>A page-table store or locked exchange the MMU completed natively (no trap).</summary>
    NativePteStore,

    /// <summary>A demand fault's native work (the fault entry, page allocation and zeroing), beside its PTE update.</summary>
    PageFault,

    /// <summary>A context switch's native work (schedule, switch_to), beside its CR3 load.</summary>
    ContextSwitch,

    /// <summary>fork's native work beside the page tables (copy_process: task, files, signals, VMAs).</summary>
    Fork,

    /// <summary>exec's native work beside the page tables (the binary's loading, the dynamic linker's start).</summary>
    Exec,

    /// <summary>exit's native work beside the mm teardown (do_exit, release of the task, the parent's wait).</summary>
    Exit,
}
