using PvMmu.Events;
using PvMmu.Linux;
using PvMmu.Linux.Exit;
using PvMmu.Sim.Workloads;
using PvMmu.Xen;

namespace PvMmu.Sim.Tests.Workloads;

/// <summary>
/// The xen:* tracepoints the guest model fires, against the logic of Linux 6.1's multicalls.c and mmu_pv.c: fork's
/// copy of an N-page mapping, one lazy-MMU slice per PTE page, each PTE a set_pte whose mmu_update extends the last
/// entry until the 512-byte argument space is full (31 requests of 16 bytes, the check being ≥), then a new entry
/// after an ARGS flush. The real capture of validation/real-xen agrees on every one of these counts.
/// </summary>
public sealed class TracepointTests
{
    private static Kernel Run(string workload, int pages, IExitStrategy strategy)
    {
        Kernel? k = null;
        WorkloadRunner.Run(WorkloadCatalog.Build(workload, 1, pages, 1), strategy, 1, XenVersion.Current, false, 0, (m, _, _) => k = m.K);
        return k!;
    }

    [Theory]
    [InlineData(1)]
    [InlineData(31)]
    [InlineData(32)]
    [InlineData(512)]
    [InlineData(513)]
    [InlineData(1000)]
    [InlineData(10000)]
    public void ForkCopiesEachPteWithOneSetPteAndFullArgumentSpacesFlushForArgs(int pages)
    {
        var k = Run("fork-exit", pages, new Linux61());
        const int fork = 2;
        long noSpace = 0, entries = 0;
        for (var left = pages; left > 0; left -= 512)
        {
            var slice = Math.Min(512, left);
            noSpace += (slice - 1) / 31;
            entries += 1 + ((slice - 1) / 31);
        }

        Assert.Equal(pages, k.Events.InPhase(fork, EventKind.SetPte));
        Assert.Equal(noSpace, k.Events.InPhase(fork, EventKind.McExtendMmuUpdateNoSpace));
        // The entry after a full argument space flushes for ARGS (the real 10,000-page fork: 312 and 312).
        Assert.Equal(noSpace, k.Events.InPhase(fork, EventKind.McFlushReasonArgs));
        Assert.Equal(pages - entries, k.Events.InPhase(fork, EventKind.McExtendMmuUpdateOk));
        Assert.Equal(1, k.Events.InPhase(fork, EventKind.PgdPin));
        Assert.Equal(k.Events.InPhase(fork, EventKind.McBatch), k.Events.InPhase(fork, EventKind.McIssue));
    }

    [Theory]
    [InlineData("Linux61", 1, 0)]
    [InlineData("NoExitUnpin", 0, 1)]
    public void TheExitUnpinsInExitMmapOrInPgdFree(string strategy, int unpinsInExit, int unpinsLater)
    {
        var k = Run("fork-exit", 600, ExitStrategies.Find(strategy)!);
        const int exit = 4;
        Assert.Equal(unpinsInExit, k.Events.InPhase(exit, EventKind.PgdUnpin));

        // Without xen_exit_mmap the unpin waits for pgd_free, when the last lazy reference goes (a context switch).
        long all = 0;
        for (var p = 1; p <= exit; p++)
        {
            all += k.Events.InPhase(p, EventKind.PgdUnpin);
        }

        Assert.Equal(unpinsInExit + unpinsLater, all);

        // The teardown's PTE clears are never set_pte: native stores after the unpin, or trapped xchgs without it.
        Assert.Equal(0, k.Events.InPhase(exit, EventKind.SetPte));

        // Each table released once (the child's 2 PTE pages, its pmd, pud, and no more), pinned or not.
        Assert.Equal(4, k.Events.InPhase(exit, EventKind.ReleasePtpage));
    }
}
