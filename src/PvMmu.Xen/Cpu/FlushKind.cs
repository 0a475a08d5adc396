namespace PvMmu.Xen.Cpu;

/// <summary>How much of a TLB a flush removes.</summary>
public enum FlushKind
{
    /// <summary>FLUSH_TLB / FLUSH_TLB_GLOBAL with no order: every entry, global ones too (do_tlb_flush). Ticks the clock.</summary>
    All,

    /// <summary>FLUSH_TLB with order 0: INVLPG of one address. Does not tick the clock.</summary>
    One,
}
