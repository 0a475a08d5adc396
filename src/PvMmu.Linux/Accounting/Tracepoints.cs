namespace PvMmu.Linux.Accounting;

/// <summary>The capture's name of each <see cref="Tracepoint"/> (validation/real-xen/parse.py's keys).</summary>
public static class Tracepoints
{
    public static readonly int Count = Enum.GetValues<Tracepoint>().Length;

    public static string Key(Tracepoint t) => t switch
    {
        Tracepoint.McBatch => "xen_mc_batch",
        Tracepoint.McIssue => "xen_mc_issue",
        Tracepoint.McEntryAlloc => "xen_mc_entry_alloc",
        Tracepoint.McEntryMmuUpdate => "xen_mc_entry_1",
        Tracepoint.McEntryUpdateVaMapping => "xen_mc_entry_14",
        Tracepoint.McEntryMmuextOp => "xen_mc_entry_26",
        Tracepoint.McExtendMmuUpdateOk => "xen_mc_extend_args_1_OK",
        Tracepoint.McExtendMmuUpdateBadOp => "xen_mc_extend_args_1_BAD_OP",
        Tracepoint.McExtendMmuUpdateNoSpace => "xen_mc_extend_args_1_NO_SPACE",
        Tracepoint.McExtendMmuextOpOk => "xen_mc_extend_args_26_OK",
        Tracepoint.McExtendMmuextOpBadOp => "xen_mc_extend_args_26_BAD_OP",
        Tracepoint.McExtendMmuextOpNoSpace => "xen_mc_extend_args_26_NO_SPACE",
        Tracepoint.McFlush => "xen_mc_flush",
        Tracepoint.McFlushReasonArgs => "xen_mc_flush_reason_ARGS",
        Tracepoint.McFlushReasonBatch => "xen_mc_flush_reason_BATCH",
        Tracepoint.McFlushReasonCallback => "xen_mc_flush_reason_CALLBACK",
        Tracepoint.McCallback => "xen_mc_callback",
        Tracepoint.SetPte => "xen_mmu_set_pte",
        Tracepoint.SetPmd => "xen_mmu_set_pmd",
        Tracepoint.SetPud => "xen_mmu_set_pud",
        Tracepoint.SetP4d => "xen_mmu_set_p4d",
        Tracepoint.PgdPin => "xen_mmu_pgd_pin",
        Tracepoint.PgdUnpin => "xen_mmu_pgd_unpin",
        Tracepoint.AllocPtpage => "xen_mmu_alloc_ptpage",
        Tracepoint.ReleasePtpage => "xen_mmu_release_ptpage",
        Tracepoint.WriteCr3 => "xen_mmu_write_cr3",
        Tracepoint.FlushTlbOneUser => "xen_mmu_flush_tlb_one_user",
        Tracepoint.FlushTlbMulti => "xen_mmu_flush_tlb_multi",
        _ => throw new ArgumentOutOfRangeException(nameof(t)),
    };
}
