namespace PvMmu.Events;

/// <summary>
/// Everything the two models count, in one list: the hypervisor's section, then the guest's (its priced events, its
/// multicall layer and model checks, then Linux's xen:* tracepoints). An event is one line here; a priced one carries
/// the key of its price (<see cref="PriceAttribute"/>, the number in the cost table) and a tracepoint the name the
/// real capture uses (<see cref="TracepointAttribute"/>). Counts never depend on prices. The hypervisor section keeps
/// its order and its names, which hypercall scripts write in snake_case (<c>expect events hypercall=1</c>); priced
/// events stay in the order a cost table prints them.
/// </summary>
public enum EventKind
{
    // ---- The hypervisor model (PvMmu.Xen), charged to the vCPU that made the call -------------------------------

    /// <summary>A guest→Xen hypercall entry (SYSCALL), continuation re-entries included.</summary>
    [Price("hypercall_entry")]
    Hypercall,

    /// <summary>A hypercall continuation: the guest returns to the same SYSCALL and re-executes it.</summary>
    Continuation,

    /// <summary>One entry processed by HYPERVISOR_multicall: the dispatch around the call it carries.</summary>
    [Price("multicall_entry")]
    MulticallEntry,

    /// <summary>One mmu_update request processed (successful or not): decode, get_page_from_l?e, put_page, the write.</summary>
    [Price("mmu_update_request")]
    MmuUpdateRequest,

    /// <summary>One mmuext_op command processed (pin, unpin, new baseptr, flush, ...): its dispatch and fixed work.</summary>
    [Price("mmuext_op")]
    MmuExtOp,

    /// <summary>One update_va_mapping call: the linear-map walk and the entry update.</summary>
    [Price("update_va_mapping")]
    UpdateVaMapping,

    /// <summary>A page-table frame promoted (validate_page on an L1–L4 whose type count went 0→1).</summary>
    TableValidated,

    /// <summary>Present entries checked while promoting tables (pin, or promotion of a new table).</summary>
    [Price("entry_validated")]
    EntriesValidated,

    /// <summary>A page-table frame demoted (devalidate_page on its last type reference).</summary>
    TableDevalidated,

    /// <summary>Present entries released while demoting tables (unpin, or a demotion).</summary>
    [Price("entry_devalidated")]
    EntriesDevalidated,

    /// <summary>A guest write to a read-only mapped L1 trapped and emulated by ptwr: fault, decode, validate, write.</summary>
    [Price("ptwr_trap")]
    PtwrEmulation,

    /// <summary>A page fault injected into the guest (write to RO table, not present, ...): the bounce frame.</summary>
    [Price("injected_fault")]
    FaultInjected,

    /// <summary>A full flush of this vCPU's own TLB (it ticks the TLB clock; without PCID the refill is part of it).</summary>
    [Price("local_flush")]
    LocalFlush,

    /// <summary>A single-address invalidation (INVLPG) on this vCPU's own TLB.</summary>
    [Price("local_invlpg")]
    LocalInvlpg,

    /// <summary>A flush that had to reach other CPUs: one IPI broadcast, the caller waiting for all.</summary>
    [Price("remote_flush")]
    RemoteFlush,

    /// <summary>The number of other CPUs targeted by remote flushes: each one's IPI and flush.</summary>
    [Price("remote_flush_target")]
    RemoteFlushTargets,

    /// <summary>A CR3 load by Xen (write_ptbase): NEW_BASEPTR and vCPU initialisation, and the refill after it.</summary>
    [Price("cr3_load")]
    Cr3Load,

    /// <summary>A type change that needed a (timestamp-filtered) flush (the XSA-401 rule).</summary>
    [Price("type_change_flush")]
    TypeChangeFlush,

    /// <summary>
    /// A TLB flush Xen made of its own accord, not at a guest's request (an mmuext flush op or an update_va_mapping
    /// flag): a type change's (the XSA-401 rule, also counted as <see cref="TypeChangeFlush"/>), the one after an L2+
    /// mmu_update (XSA-286), the allocator's for a frame some CPU may still cache. Its local and remote parts are in
    /// <see cref="LocalFlush"/> and <see cref="RemoteFlush"/> as every flush's are.
    /// </summary>
    XenInitiatedFlush,

    /// <summary>A guest kernel/user mode switch (_toggle_guest_pt): a CR3 write that keeps global entries.</summary>
    [Price("mode_switch")]
    ModeSwitch,

    /// <summary>A guest load or store that completed through the TLB or a table walk.</summary>
    GuestAccess,

    /// <summary>A TLB miss: the walk of the guest's tables that filled an entry.</summary>
    [Price("tlb_fill")]
    TlbFill,

    /// <summary>A hypercall (or multicall entry) that returned an error.</summary>
    HypercallError,

    // ---- The guest model (PvMmu.Linux): the work Xen never sees, and the IPIs it only carries --------------------

    /// <summary>An IPI sent (smp_call_function_*): one event-channel notification, charged to the sender.</summary>
    [Price("ipi_sent")]
    IpiSent,

    /// <summary>An IPI's handler run, charged to the vCPU that takes it: the upcall, the handler's entry and exit.</summary>
    [Price("ipi_handled")]
    IpiHandled,

    /// <summary>A store or locked exchange into a page-table page that the MMU completed natively (no trap).</summary>
    [Price("native_pte_store")]
    NativePteStore,

    /// <summary>A demand fault on an anonymous page handled by the guest (handle_mm_fault → do_anonymous_page).</summary>
    [Price("page_fault")]
    PageFault,

    /// <summary>A context switch (context_switch: to a user task or to a kernel thread): schedule and switch_to.</summary>
    [Price("context_switch")]
    ContextSwitch,

    /// <summary>A fork (kernel/fork.c copy_process without the page tables, priced as the native base work).</summary>
    [Price("fork")]
    Fork,

    /// <summary>An exec (fs/exec.c: binary loading without the page tables, priced as the native base work).</summary>
    [Price("exec")]
    Exec,

    /// <summary>An exit (do_exit without the mm teardown, priced as the native base work).</summary>
    [Price("exit")]
    Exit,

    /// <summary>
    /// A microsecond of user-mode compute (a program's own work between its system calls), charged to the vCPU that ran
    /// it: the count is native microseconds, the price what one costs on the platform (a PV guest's user mode runs
    /// unchanged).
    /// </summary>
    [Price("user_compute_us")]
    UserCompute,

    /// <summary>
    /// A microsecond of kernel work the model does not otherwise count (file I/O, system calls, scheduling beyond the
    /// context switch), charged like <see cref="UserCompute"/>: the count is native microseconds.
    /// </summary>
    [Price("kernel_work_us")]
    KernelWork,

    /// <summary>An xen_mc_flush that issued something (one entry or more).</summary>
    McFlushIssued,

    /// <summary>A flush of one entry, issued as its own hypercall (xen_single_call).</summary>
    McSingleton,

    /// <summary>A flush of two or more entries, issued as HYPERVISOR_multicall.</summary>
    McMulticall,

    /// <summary>An entry issued by a flush, singletons included.</summary>
    McEntryIssued,

    /// <summary>A hypercall made outside the multicall buffer (HYPERVISOR_mmu_update from a non-lazy set_pte, ...).</summary>
    DirectHypercall,

    /// <summary>A failed call the guest logged (each line of xen_mc_flush's report of failed entries, ...).</summary>
    FailedCallLogged,

    /// <summary>
    /// The idle task blocked: xen_safe_halt → HYPERVISOR_sched_op(SCHEDOP_block), until an event wakes the vCPU (not
    /// priced: the time asleep is no MMU cost; what a sleep costs is its context switch to the idle task).
    /// </summary>
    SchedBlock,

    /// <summary>A kernel WARN_ON whose condition held (the kernel warns and goes on).</summary>
    KernelWarn,

    /// <summary>A kernel BUG_ON whose condition held (the kernel oopses; the model stops the run).</summary>
    KernelBug,

    /// <summary>xen_mc_batch: a batch begins (paired with xen_mc_issue in every path the model has).</summary>
    [Tracepoint("xen_mc_batch")]
    McBatch,

    /// <summary>xen_mc_issue.</summary>
    [Tracepoint("xen_mc_issue")]
    McIssue,

    /// <summary>xen_mc_entry_alloc (__xen_mc_entry).</summary>
    [Tracepoint("xen_mc_entry_alloc")]
    McEntryAlloc,

    /// <summary>xen_mc_entry of an mmu_update (hypercall 1).</summary>
    [Tracepoint("xen_mc_entry_1", Event = "xen_mc_entry")]
    McEntryMmuUpdate,

    /// <summary>xen_mc_entry of an update_va_mapping (hypercall 14).</summary>
    [Tracepoint("xen_mc_entry_14", Event = "xen_mc_entry")]
    McEntryUpdateVaMapping,

    /// <summary>xen_mc_entry of an mmuext_op (hypercall 26).</summary>
    [Tracepoint("xen_mc_entry_26", Event = "xen_mc_entry")]
    McEntryMmuextOp,

    /// <summary>xen_mc_extend_args for mmu_update: appended.</summary>
    [Tracepoint("xen_mc_extend_args_1_OK", Event = "xen_mc_extend_args")]
    McExtendMmuUpdateOk,

    /// <summary>xen_mc_extend_args for mmu_update: the last entry is another op (or there is none).</summary>
    [Tracepoint("xen_mc_extend_args_1_BAD_OP", Event = "xen_mc_extend_args")]
    McExtendMmuUpdateBadOp,

    /// <summary>xen_mc_extend_args for mmu_update: the argument space is full.</summary>
    [Tracepoint("xen_mc_extend_args_1_NO_SPACE", Event = "xen_mc_extend_args")]
    McExtendMmuUpdateNoSpace,

    /// <summary>xen_mc_extend_args for mmuext_op: appended.</summary>
    [Tracepoint("xen_mc_extend_args_26_OK", Event = "xen_mc_extend_args")]
    McExtendMmuextOpOk,

    /// <summary>xen_mc_extend_args for mmuext_op: the last entry is another op (or there is none).</summary>
    [Tracepoint("xen_mc_extend_args_26_BAD_OP", Event = "xen_mc_extend_args")]
    McExtendMmuextOpBadOp,

    /// <summary>xen_mc_extend_args for mmuext_op: the argument space is full.</summary>
    [Tracepoint("xen_mc_extend_args_26_NO_SPACE", Event = "xen_mc_extend_args")]
    McExtendMmuextOpNoSpace,

    /// <summary>xen_mc_flush, empty or not.</summary>
    [Tracepoint("xen_mc_flush")]
    McFlush,

    /// <summary>xen_mc_flush_reason ARGS: a new entry's arguments do not fit.</summary>
    [Tracepoint("xen_mc_flush_reason_ARGS", Event = "xen_mc_flush_reason")]
    McFlushReasonArgs,

    /// <summary>xen_mc_flush_reason BATCH: the 32 entries are used.</summary>
    [Tracepoint("xen_mc_flush_reason_BATCH", Event = "xen_mc_flush_reason")]
    McFlushReasonBatch,

    /// <summary>xen_mc_flush_reason CALLBACK: the 32 callbacks are used.</summary>
    [Tracepoint("xen_mc_flush_reason_CALLBACK", Event = "xen_mc_flush_reason")]
    McFlushReasonCallback,

    /// <summary>xen_mc_callback.</summary>
    [Tracepoint("xen_mc_callback")]
    McCallback,

    /// <summary>xen_mmu_set_pte.</summary>
    [Tracepoint("xen_mmu_set_pte")]
    SetPte,

    /// <summary>xen_mmu_set_pmd.</summary>
    [Tracepoint("xen_mmu_set_pmd")]
    SetPmd,

    /// <summary>xen_mmu_set_pud.</summary>
    [Tracepoint("xen_mmu_set_pud")]
    SetPud,

    /// <summary>xen_mmu_set_p4d.</summary>
    [Tracepoint("xen_mmu_set_p4d")]
    SetP4d,

    /// <summary>xen_mmu_pgd_pin.</summary>
    [Tracepoint("xen_mmu_pgd_pin")]
    PgdPin,

    /// <summary>xen_mmu_pgd_unpin.</summary>
    [Tracepoint("xen_mmu_pgd_unpin")]
    PgdUnpin,

    /// <summary>xen_mmu_alloc_ptpage (pinned or not).</summary>
    [Tracepoint("xen_mmu_alloc_ptpage")]
    AllocPtpage,

    /// <summary>xen_mmu_release_ptpage (pinned or not).</summary>
    [Tracepoint("xen_mmu_release_ptpage")]
    ReleasePtpage,

    /// <summary>xen_mmu_write_cr3 (kernel and user each).</summary>
    [Tracepoint("xen_mmu_write_cr3")]
    WriteCr3,

    /// <summary>xen_mmu_flush_tlb_one_user.</summary>
    [Tracepoint("xen_mmu_flush_tlb_one_user")]
    FlushTlbOneUser,

    /// <summary>xen_mmu_flush_tlb_multi.</summary>
    [Tracepoint("xen_mmu_flush_tlb_multi")]
    FlushTlbMulti,

    /// <summary>xen_mmu_ptep_modify_prot_start (change_pte_range reads a PTE: xen_ptep_modify_prot_start).</summary>
    [Tracepoint("xen_mmu_ptep_modify_prot_start")]
    PtepModifyProtStart,

    /// <summary>xen_mmu_ptep_modify_prot_commit (xen_ptep_modify_prot_commit: an mmu_update with MMU_PT_UPDATE_PRESERVE_AD).</summary>
    [Tracepoint("xen_mmu_ptep_modify_prot_commit")]
    PtepModifyProtCommit,
}
