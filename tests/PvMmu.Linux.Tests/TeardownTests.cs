using PvMmu.Events;
using PvMmu.Linux.Exit;
using PvMmu.Linux.Mm;
using PvMmu.Linux.Pvops;
using PvMmu.Xen.Invariants;

namespace PvMmu.Linux.Tests;

/// <summary>
/// A process's exit on one vCPU, with and without xen_exit_mmap, against the counts of docs/linux-paths.md#teardown.
/// The process (N present PTEs in T1 PTE pages, T2 PMD pages, T3 PUD pages) runs on vCPU 0 with its tables pinned.
/// </summary>
public sealed class TeardownTests
{
    public static TheoryData<ulong, int, int, int, int> Shapes() => PinningTests.Shapes();

    private static (Kernel K, int Mm) RunningProcess(ulong start, int pages) => Processes.Running(start, pages);

    private static long Flushes(Kernel k) => k.Events.Total(EventKind.McFlushIssued) + k.Events.Total(EventKind.DirectHypercall);

    [Theory]
    [MemberData(nameof(Shapes))]
    public void WithXenExitMmapTheTeardownIsPlainStores(ulong start, int pages, int t3, int t2, int t1)
    {
        var (k, mm) = RunningProcess(start, pages);
        var strategy = new Linux61();
        var before = Flushes(k);
        ExitPath.ExitMm(k, 0, mm, strategy);

        // leave_mm (one CR3 hypercall), then the unpin in ⌈(T3 + T2 + 2·T1 + 3)/32⌉ hypercalls; no traps.
        var unpin = t3 + t2 + (2 * t1) + 3;
        Assert.Equal(1 + ((unpin + 31) / 32), Flushes(k) - before);
        Assert.Equal(0, k.Xen.Events.Total(EventKind.PtwrEmulation));
        Assert.Equal(0, k.Xen.Events.Total(EventKind.FaultInjected));
        Assert.Equal(0, k.IpisSent);
        Assert.Empty(k.Mc.Warnings);
        Assert.Equal(k.SwapperPgd, k.XenCurrentCr3[0]);

        var afterExit = Flushes(k);
        ExitPath.MmDrop(k, 0, mm, strategy);
        Assert.Equal(afterExit, Flushes(k));
        Assert.False(k.Mms.Live[mm]);
        Assert.Empty(new InvariantChecker().Check(k.Xen));
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    public void WithoutItEveryPresentPteTrapsAndEveryTableCostsTwoHypercalls(ulong start, int pages, int t3, int t2, int t1)
    {
        var (k, mm) = RunningProcess(start, pages);
        var strategy = new NoExitUnpin();
        var before = Flushes(k);
        ExitPath.ExitMm(k, 0, mm, strategy);

        // N traps with emulation; per table: the parent-entry clear and the release, never batched; the last
        // flush finds this CPU lazily on the mm and switches it to init_mm (one CR3 hypercall).
        Assert.Equal(pages, k.Xen.Events.Total(EventKind.PtwrEmulation));
        Assert.Equal((2 * (t1 + t2 + t3)) + 1, Flushes(k) - before);
        Assert.Empty(k.Mc.Warnings);

        // The pgds are unpinned at pgd_free: one multicall [UNPIN pgd, UNPIN upgd][UVM upgd][UVM pgd].
        var afterExit = Flushes(k);
        var entries = k.Events.Total(EventKind.McEntryIssued);
        ExitPath.MmDrop(k, 0, mm, strategy);
        Assert.Equal(afterExit + 1, Flushes(k));
        Assert.Equal(3, k.Events.Total(EventKind.McEntryIssued) - entries);
        Assert.Empty(k.Mc.Warnings);
        Assert.Empty(new InvariantChecker().Check(k.Xen));
    }

    [Fact]
    public void ALazyUserOnAnotherVcpuIsSentAwayByIpi()
    {
        var (k, mm) = RunningProcess(0x40_0000UL, 8);

        // vCPU 1 ran the process, then a kernel thread kept its mm lazily.
        MmOps.SwitchMm(k, 1, mm);
        k.IsLazyTlb[1] = true;
        k.Mms.Count[mm]++;
        var strategy = new Linux61();
        ExitPath.ExitMm(k, 0, mm, strategy);
        Assert.Equal(1, k.IpisSent);
        Assert.Equal(k.SwapperPgd, k.XenCurrentCr3[1]);
        Assert.Equal(0, k.LoadedMm[1]);
        Assert.Empty(k.Mc.Warnings);
        Assert.Equal(0, k.Xen.Events.Total(EventKind.PtwrEmulation));
        Assert.Empty(new InvariantChecker().Check(k.Xen));
    }

    [Fact]
    public void SkippingTheDropMakesTheUnpinWarn()
    {
        var (k, mm) = RunningProcess(0x40_0000UL, 8);
        MmOps.SwitchMm(k, 1, mm);
        k.IsLazyTlb[1] = true;
        k.Mms.Count[mm]++;

        // BrokenNoDropMmRef, by hand: leave locally, unpin without the IPI. vCPU 1 still holds the L4 in Xen.
        MmOps.LeaveMm(k, 0);
        Pinning.PgdUnpin(k, 0, k.Mms.Pgd[mm]);

        // Every table page's RW remap fails (-EBUSY): T3 + T2 + T1 + 2 WARN lines (pud, pmd, pte, pgd, user pgd).
        Assert.Equal(5, k.Mc.Warnings.Count);
        Assert.All(k.Mc.Warnings, w => Assert.Equal(-PvMmu.Xen.Abi.Errno.EBUSY, w.Result));
        Assert.Empty(new InvariantChecker().Check(k.Xen));
    }

    [Trait("Category", "Slow")]
    [Fact]
    public void OneGibProcessExitCountsMatchTheFormulas()
    {
        // 262,144 pages: T1 = 512, T2 = 1, T3 = 1.
        const int pages = 512 * 512;
        var (k, mm) = RunningProcess(0x40_0000_0000UL, pages);
        var before = Flushes(k);
        ExitPath.ExitMm(k, 0, mm, new NoExitUnpin());
        Assert.Equal(pages, k.Xen.Events.Total(EventKind.PtwrEmulation));
        Assert.Equal((2 * (512 + 1 + 1)) + 1, Flushes(k) - before);

        var (k2, mm2) = RunningProcess(0x40_0000_0000UL, pages);
        before = Flushes(k2);
        ExitPath.ExitMm(k2, 0, mm2, new Linux61());
        Assert.Equal(0, k2.Xen.Events.Total(EventKind.PtwrEmulation));
        Assert.Equal(1 + ((1 + 1 + (2 * 512) + 3 + 31) / 32), Flushes(k2) - before);
        Assert.Empty(k2.Mc.Warnings);
    }
}
