using PvMmu.Events;
using PvMmu.Linux.Boot;
using PvMmu.Linux.Exit;
using PvMmu.Linux.Mm;
using PvMmu.Linux.Pvops;
using PvMmu.Xen.Abi;
using PvMmu.Xen.Invariants;

namespace PvMmu.Linux.Tests;

/// <summary>
/// The seed thread's scenario: a process ran on vCPU 1, which then switched to a kernel thread that keeps its mm
/// lazily; the process exits on vCPU 0. Each strategy's outcome, with the counts of docs/linux-paths.md#teardown.
/// </summary>
public sealed class LazyExitTests
{
    private const int Pages = 8;

    private sealed record Outcome(Kernel K, int Mm, long Ptwr, long Ipis);

    private static Outcome Run(IExitStrategy strategy)
    {
        var k = Kernel.Boot(new KernelConfig { Vcpus = 2, Frames = 1024 });
        var mm = MmOps.CreateMm(k, 0);
        MmOps.MapAnonymous(k, mm, 0x40_0000UL, Pages);
        MmOps.TouchAll(k, 0, mm);
        Pinning.PgdPin(k, 0, k.Mms.Pgd[mm]);

        // vCPU 1 runs the process, then a kernel thread borrows its mm (mmgrab, enter_lazy_tlb).
        MmOps.SwitchMm(k, 1, mm);
        k.Mms.Count[mm]++;
        MmOps.EnterLazyTlb(k, 1, strategy.LazyTlbLeavesCpumask);

        // The process wakes on vCPU 0 and exits.
        MmOps.SwitchMm(k, 0, mm);
        k.Xen.Events.Reset();
        ExitPath.ExitMm(k, 0, mm, strategy);
        var ptwr = k.Xen.Events.Total(EventKind.PtwrEmulation);
        var ipis = k.IpisSent;

        // Later both CPUs switch to other tasks and drop their lazy references; the last one frees the mm.
        for (var cpu = 1; cpu >= 0; cpu--)
        {
            if (k.LoadedMm[cpu] == mm)
            {
                MmOps.SwitchMm(k, cpu, 0);
            }

            ExitPath.MmDrop(k, cpu, mm, strategy);
        }

        return new Outcome(k, mm, ptwr, ipis);
    }

    [Theory]
    [InlineData("Linux411", 1)]
    [InlineData("Linux413", 1)]
    [InlineData("Linux414", 1)]
    [InlineData("Linux61", 1)]
    public void UpstreamVersionsSendTheLazyUserAwayAndUnpinCleanly(string name, int ipis)
    {
        var o = Run(ExitStrategies.Find(name)!);
        Assert.Empty(o.K.Mc.Warnings);
        Assert.Empty(o.K.Oopses);
        Assert.Equal(0, o.Ptwr);
        Assert.Equal(ipis, o.Ipis);
        Assert.False(o.K.Mms.Live[o.Mm]);
        Assert.Empty(new InvariantChecker().Check(o.K.Xen));
    }

    [Fact]
    public void Linux411sAtomicAllocationFallbackCallsEveryCpuOneByOne()
    {
        // The serial path would call the caller too if it still matched; after its own leave_mm it is neither in
        // mm_cpumask nor on the pgd, so only vCPU 1 is called, as on the smp_call_function_many path.
        var o = Run(new Linux411 { AtomicAllocFails = true });
        Assert.Empty(o.K.Mc.Warnings);
        Assert.Equal(1, o.Ipis);
        Assert.False(o.K.Mms.Live[o.Mm]);
    }

    /// <summary>
    /// Without xen_exit_mmap, and with TryUnpin (which sees vCPU 1's xen_current_cr3 and does not unpin), the
    /// teardown runs on pinned tables: one emulated trap per present PTE, no IPI, no WARN; the pgds are unpinned at
    /// pgd_free once vCPU 1 has let go.
    /// </summary>
    [Theory]
    [InlineData("NoExitUnpin")]
    [InlineData("TryUnpin")]
    public void PinnedTeardownsTrapOncePerPresentPte(string name)
    {
        var o = Run(ExitStrategies.Find(name)!);
        Assert.Equal(Pages, o.Ptwr);
        Assert.Equal(0, o.Ipis);
        Assert.Empty(o.K.Mc.Warnings);
        Assert.Empty(o.K.Oopses);
        Assert.False(o.K.Mms.Live[o.Mm]);
        Assert.Empty(new InvariantChecker().Check(o.K.Xen));
    }

    [Theory]
    [InlineData("BrokenNoDropMmRef")]
    [InlineData("BrokenCpumaskOnly")]
    public void BrokenVariantsUnpinUnderAVcpuThatStillHoldsThePgd(string name)
    {
        var o = Run(ExitStrategies.Find(name)!);

        // Every table page's read-write remap is refused: pud, pmd, pte, pgd and user pgd, each named.
        Assert.Equal(5, o.K.Mc.Warnings.Count);
        Assert.All(o.K.Mc.Warnings, w =>
        {
            Assert.Equal(HypercallNumber.UpdateVaMapping, w.Op);
            Assert.Equal(-Errno.EBUSY, w.Result);
        });

        // The guest then believes its tables are ordinary memory: the upper-level clears are plain stores to
        // read-only page tables, and the kernel oopses. Xen's own invariants still hold.
        Assert.NotEmpty(o.K.Oopses);
        Assert.Empty(new InvariantChecker().Check(o.K.Xen));
    }
}
