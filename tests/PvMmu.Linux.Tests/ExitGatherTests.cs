using PvMmu.Events;
using PvMmu.Linux.Exit;
using PvMmu.Linux.Mm;

namespace PvMmu.Linux.Tests;

/// <summary>
/// exit_mmap's zap restarts when the mmu_gather fills, as munmap's does (issue 18's E3): 6.1's exit gathers with
/// tlb_gather_mmu_fullmm, whose batches are munmap's (8 + 19 × 510 = 9,698 pages), and zap_pte_range's force_flush
/// path does not look at fullmm: arch_leave_lazy_mmu_mode (one xen_mc_flush), tlb_flush_mmu_tlbonly (x86 tlb_flush:
/// flush_tlb_mm_range over the whole mm), the pages freed, and, if PTEs are left in the range, <c>goto again</c>, whose
/// own leave is one xen_mc_flush more. With one 2 MiB-aligned region of N pages the gather fills at pages k·9,698, and
/// such a page is its range's last only when it is page N (9,698 = 2 × 4,849 is never a multiple of 512 below
/// 256 × 9,698): so N pages restart ⌊(N − 1) / 9,698⌋ times.
/// </summary>
public sealed class ExitGatherTests
{
    private const ulong Start = 0x40_0000UL;
    private const int C = Munmap.GatherCapacity;

    private static long Restarts(int pages) => (pages - 1) / C;

    /// <summary>The exit's counts for an N-page process on vCPU 0; with a kernel thread on vCPU 1 lazily on its mm.</summary>
    private static EventSink Exit(int pages, IExitStrategy strategy, bool lazyOnVcpu1 = false)
    {
        var (k, mm) = Processes.Running(Start, pages);
        if (lazyOnVcpu1)
        {
            // A kernel thread on vCPU 1 borrowed the mm (mmgrab, enter_lazy_tlb): CR3 and mm_cpumask stay.
            MmOps.SwitchMm(k, 1, mm);
            k.Mms.Count[mm]++;
            MmOps.EnterLazyTlb(k, 1, strategy.LazyTlbLeavesCpumask);
        }

        k.Events.Reset();
        ExitPath.ExitMm(k, 0, mm, strategy);
        Assert.Empty(k.Mc.Warnings);
        return k.Events;
    }

    [Trait("Category", "Slow")]
    [Theory]
    [InlineData(C - 1, C, 0)]
    [InlineData(C - 1, C + 1, 1)]
    [InlineData((2 * C) - 1, (2 * C) + 1, 1)]
    public void EachRestartIsOneMoreEmptyXenMcFlushAndNoHypercall(int fewer, int more, int restarts)
    {
        // Same PTE pages either way (⌈N / 512⌉), so the unpin and free_pgtables are the same: only restarts differ.
        Assert.Equal((fewer + 511) / 512, (more + 511) / 512);
        Assert.Equal(restarts, Restarts(more) - Restarts(fewer));
        var a = Exit(fewer, new Linux61());
        var b = Exit(more, new Linux61());
        Assert.Equal(restarts, b.Total(EventKind.McFlush) - a.Total(EventKind.McFlush));
        Assert.Equal(a.Total(EventKind.McFlushIssued), b.Total(EventKind.McFlushIssued));
        Assert.Equal(a.Total(EventKind.Hypercall), b.Total(EventKind.Hypercall));
    }

    [Trait("Category", "Slow")]
    [Theory]
    [InlineData(C - 1)]
    [InlineData(C + 1)]
    [InlineData((2 * C) + 1)]
    public void UnderNoExitUnpinEachRestartFlushesTheLazyHolderWithOneMoreHypercall(int pages)
    {
        // Without xen_exit_mmap nothing makes vCPU 1 leave the mm, so it stays in mm_cpumask: every gather flush,
        // each restart's and tlb_finish_mmu's, is flush_tlb_multi, one MMUEXT_TLB_FLUSH_MULTI hypercall.
        var e = Exit(pages, new NoExitUnpin(), lazyOnVcpu1: true);
        Assert.Equal(Restarts(pages) + 1, e.Total(EventKind.FlushTlbMulti));
        Assert.Equal(pages, e.Total(EventKind.PtwrEmulation));

        // Under Linux61 xen_exit_mmap's IPI made vCPU 1 leave first: one flush at most, whatever the restarts.
        var upstream = Exit(pages, new Linux61(), lazyOnVcpu1: true);
        Assert.Equal(0, upstream.Total(EventKind.FlushTlbMulti));
    }
}
