using PvMmu.Events;
using PvMmu.Linux.Boot;
using PvMmu.Linux.Mm;
using PvMmu.Linux.Pvops;
using PvMmu.Xen.Invariants;

namespace PvMmu.Linux.Tests;

/// <summary>
/// munmap on a pinned, running mm: one trap per present PTE, then the ranged flush of docs/linux-paths.md#tlb-flushes.
/// </summary>
public sealed class MunmapTests
{
    private const ulong Start = 0x40_0000UL;

    private static (Kernel K, int Mm) Running(int pages, bool alsoOnVcpu1 = false)
    {
        var k = Kernel.Boot(new KernelConfig { Vcpus = 2, Frames = pages + 1024 });
        var mm = MmOps.CreateMm(k, 0);
        MmOps.MapAnonymous(k, mm, Start, pages);
        MmOps.TouchAll(k, 0, mm);
        Pinning.PgdPin(k, 0, k.Mms.Pgd[mm]);
        if (alsoOnVcpu1)
        {
            k.Mms.Users[mm] = 2;
            MmOps.SwitchMm(k, 1, mm);
        }

        MmOps.SwitchMm(k, 0, mm);
        k.Events.Reset();
        return (k, mm);
    }

    private static long Issued(Kernel k) => k.Events.Total(EventKind.McFlushIssued) + k.Events.Total(EventKind.DirectHypercall);

    [Theory]
    [InlineData(1, 1)]
    [InlineData(33, 33)]
    [InlineData(34, 1)]
    public void ALocalMunmapTrapsPerPteAndFlushesPerPageUpToTheCeiling(int pages, int flushHypercalls)
    {
        var (k, mm) = Running(600);
        var before = Issued(k);
        Munmap.Unmap(k, 0, mm, Start + 0x1000, pages);
        Assert.Equal(pages, k.Xen.Events.Total(EventKind.PtwrEmulation));
        Assert.Equal(flushHypercalls, Issued(k) - before);
        Assert.Equal(pages <= Munmap.SinglePageFlushCeiling ? pages : 0, k.Xen.Events.Total(EventKind.LocalInvlpg));
        Assert.Empty(k.Mc.Warnings);
        Assert.Empty(new InvariantChecker().Check(k.Xen));
    }

    [Fact]
    public void AWholePtePageIsFreedWithTwoHypercalls()
    {
        var (k, mm) = Running(1024);
        var before = Issued(k);
        var free = k.FreeFrames;
        Munmap.Unmap(k, 0, mm, Start, 512);

        // 512 traps; set_pmd_hyper (1) and xen_release_pte's [UNPIN_L1][UVM RW] multicall (1); one full local flush.
        Assert.Equal(512, k.Xen.Events.Total(EventKind.PtwrEmulation));
        Assert.Equal(3, Issued(k) - before);
        Assert.Equal(free + 512 + 1, k.FreeFrames);
        Assert.Empty(k.Mc.Warnings);
        Assert.Empty(new InvariantChecker().Check(k.Xen));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(100)]
    public void WithAnotherCpuInTheMaskOneMultiFlushCoversBoth(int pages)
    {
        var (k, mm) = Running(600, alsoOnVcpu1: true);
        var before = Issued(k);
        Munmap.Unmap(k, 0, mm, Start + 0x1000, pages);
        Assert.Equal(1, Issued(k) - before);
        Assert.Equal(1, k.Xen.Events.Total(EventKind.RemoteFlush));
        Assert.Equal(pages == 1 ? 1 : 0, k.Xen.Events.Total(EventKind.LocalInvlpg));
        Assert.Empty(new InvariantChecker().Check(k.Xen));
    }

    [Fact]
    public void AHoleSplitsTheMapping()
    {
        var (k, mm) = Running(64);
        Munmap.Unmap(k, 0, mm, Start + (10 * 4096), 4);
        Assert.Equal(2, k.Mms.VmaCount[mm]);
        Assert.Equal(Start + (10 * 4096), k.Mms.VmaEnd[mm * MmTable.MaxVmas]);
        Assert.Equal(Start + (14 * 4096), k.Mms.VmaStart[(mm * MmTable.MaxVmas) + 1]);
    }

    /// <summary>
    /// free_pgd_range's floor and ceiling: a mapping alone in its PTE page leaves the page with no VMA, so the page is
    /// freed even though the range does not cover its 2 MiB; with another VMA in the same PTE page it stays.
    /// (Found by comparing munmap with the real guest: validation/real-xen, fork-exit-511.)
    /// </summary>
    [Theory]
    [InlineData(false, 1)]
    [InlineData(true, 0)]
    public void APtePageIsFreedWhenNoOtherVmaSharesIt(bool neighbour, int freed)
    {
        var k = Kernel.Boot(new KernelConfig { Vcpus = 1, Frames = 2048 });
        var mm = MmOps.CreateMm(k, 0);
        MmOps.MapAnonymous(k, mm, Start, 511);
        if (neighbour)
        {
            MmOps.MapAnonymous(k, mm, Start + (511UL << 12), 1);
        }

        MmOps.TouchAll(k, 0, mm);
        Pinning.PgdPin(k, 0, k.Mms.Pgd[mm]);
        MmOps.SwitchMm(k, 0, mm);
        k.Events.Reset();
        Munmap.Unmap(k, 0, mm, Start, 511);
        Assert.Equal(freed, k.Events.InPhase(0, EventKind.ReleasePtpage));
        Assert.Equal(freed, k.Events.InPhase(0, EventKind.SetPmd));
        Assert.Empty(new InvariantChecker().Check(k.Xen));
    }

    /// <summary>
    /// The mmu_gather holds 8 + 19 × 510 = 9,698 pages; zap_pte_range then flushes the TLB for the range so far
    /// before going on. Unmapping one page more than a multiple of the capacity adds exactly one full flush; one
    /// page more elsewhere adds none (same PTE pages either way). (The real guest: 1 more mmuext entry for 10,000
    /// pages, 10 for 100,000.)
    /// </summary>
    [Trait("Category", "Slow")]
    [Theory]
    [InlineData(Munmap.GatherCapacity, 1)]
    [InlineData(2 * Munmap.GatherCapacity, 1)]
    [InlineData(9000, 0)]
    public void AFullGatherForcesATlbFlush(int pages, int more)
    {
        long Flushes(int n)
        {
            var (k, mm) = Running(n);
            Munmap.Unmap(k, 0, mm, Start, n);
            return k.Xen.Events.Total(EventKind.LocalFlush);
        }

        Assert.Equal(more, Flushes(pages) - Flushes(pages - 1));
    }
}
