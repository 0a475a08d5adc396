namespace PvMmu.Linux.Accounting;

/// <summary>
/// Linux's xen:* tracepoints (include/trace/events/xen.h) that the guest model fires at the same places as 6.1's
/// arch/x86/xen/multicalls.c, multicalls.h and mmu_pv.c, split the way the real capture counts them
/// (validation/real-xen): an entry by hypercall number, an extend by op and result, a flush reason by kind.
/// <see cref="Tracepoints.Key"/> gives the capture's name.
/// </summary>
public enum Tracepoint
{
    /// <summary>xen_mc_batch: a batch begins (paired with xen_mc_issue in every path the model has).</summary>
    McBatch,

    /// <summary>xen_mc_issue.</summary>
    McIssue,

    /// <summary>xen_mc_entry_alloc (__xen_mc_entry).</summary>
    McEntryAlloc,

    /// <summary>xen_mc_entry of an mmu_update (hypercall 1).</summary>
    McEntryMmuUpdate,

    /// <summary>xen_mc_entry of an update_va_mapping (hypercall 14).</summary>
    McEntryUpdateVaMapping,

    /// <summary>xen_mc_entry of an mmuext_op (hypercall 26).</summary>
    McEntryMmuextOp,

    /// <summary>xen_mc_extend_args for mmu_update: appended.</summary>
    McExtendMmuUpdateOk,

    /// <summary>xen_mc_extend_args for mmu_update: the last entry is another op (or there is none).</summary>
    McExtendMmuUpdateBadOp,

    /// <summary>xen_mc_extend_args for mmu_update: the argument space is full.</summary>
    McExtendMmuUpdateNoSpace,

    /// <summary>xen_mc_extend_args for mmuext_op: appended.</summary>
    McExtendMmuextOpOk,

    /// <summary>xen_mc_extend_args for mmuext_op: the last entry is another op (or there is none).</summary>
    McExtendMmuextOpBadOp,

    /// <summary>xen_mc_extend_args for mmuext_op: the argument space is full.</summary>
    McExtendMmuextOpNoSpace,

    /// <summary>xen_mc_flush, empty or not.</summary>
    McFlush,

    /// <summary>xen_mc_flush_reason ARGS: a new entry's arguments do not fit.</summary>
    McFlushReasonArgs,

    /// <summary>xen_mc_flush_reason BATCH: the 32 entries are used.</summary>
    McFlushReasonBatch,

    /// <summary>xen_mc_flush_reason CALLBACK: the 32 callbacks are used.</summary>
    McFlushReasonCallback,

    /// <summary>xen_mc_callback.</summary>
    McCallback,

    /// <summary>xen_mmu_set_pte.</summary>
    SetPte,

    /// <summary>xen_mmu_set_pmd.</summary>
    SetPmd,

    /// <summary>xen_mmu_set_pud.</summary>
    SetPud,

    /// <summary>xen_mmu_set_p4d.</summary>
    SetP4d,

    /// <summary>xen_mmu_pgd_pin.</summary>
    PgdPin,

    /// <summary>xen_mmu_pgd_unpin.</summary>
    PgdUnpin,

    /// <summary>xen_mmu_alloc_ptpage (pinned or not).</summary>
    AllocPtpage,

    /// <summary>xen_mmu_release_ptpage (pinned or not).</summary>
    ReleasePtpage,

    /// <summary>xen_mmu_write_cr3 (kernel and user each).</summary>
    WriteCr3,

    /// <summary>xen_mmu_flush_tlb_one_user.</summary>
    FlushTlbOneUser,

    /// <summary>xen_mmu_flush_tlb_multi.</summary>
    FlushTlbMulti,
}
