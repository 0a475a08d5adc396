namespace PvMmu.Linux.Mm;

/// <summary>
/// The range an mmu_gather will flush (include/asm-generic/tlb.h: tlb->start, tlb->end, grown by
/// __tlb_adjust_range for each PTE cleared and each page table freed, reset by __tlb_reset_range after a flush).
/// Empty (End = 0) when nothing was cleared or freed since the last flush, and then tlb_flush_mmu_tlbonly flushes
/// nothing.
/// </summary>
public readonly record struct TlbRange(ulong Start, ulong End)
{
    /// <summary>Nothing to flush (__tlb_reset_range: start TASK_SIZE, end 0).</summary>
    public static TlbRange Empty => default;

    public bool IsEmpty => End == 0;

    /// <summary>__tlb_adjust_range: the range grown to cover [start, end).</summary>
    public TlbRange Add(ulong start, ulong end) =>
        IsEmpty ? new(start, end) : new(Math.Min(Start, start), Math.Max(End, end));
}
