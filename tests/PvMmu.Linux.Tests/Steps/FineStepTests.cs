using PvMmu.Events;
using PvMmu.Linux.Accounting;
using PvMmu.Linux.Exit;
using PvMmu.Linux.Invariants;
using PvMmu.Linux.Mm;
using PvMmu.Linux.Multicalls;
using PvMmu.Linux.Sched;
using PvMmu.Scheduling;
using PvMmu.Xen.Abi;
using PvMmu.Xen.Invariants;

namespace PvMmu.Linux.Tests.Steps;

/// <summary>
/// Fork's copy, exec's build and a kernel thread's lazy MMU batch as the scheduler seam runs them, a step per
/// page-table page: run to their end they leave the state the whole operation leaves; between a copy and its
/// arch_leave_lazy_mmu_mode the batch is queued with interrupts on; and an IPI taken there runs its handler in
/// interrupt context (the lazy mode reads NONE), so the handler's flush issues the interrupted batch, as 6.1's
/// paravirt_get_lazy_mode and xen_mc_issue make it.
/// </summary>
public sealed class FineStepTests
{
    private const ulong Start = 0x40_0000UL;
    private const int Pages = 8;

    /// <summary>Every event kind's total, for comparing two runs.</summary>
    private static long[] Totals(Kernel k) => [.. Enum.GetValues<EventKind>().Select(e => k.Events.Total(e))];

    private static Machine Machine(Kernel k, int mm, Op[] cpu0, Op[] cpu1)
    {
        var procs = new int[8];
        procs[0] = mm;
        return new Machine(k, new Linux61(), [cpu0, cpu1], procs);
    }

    [Fact]
    public void AForkStepByStepEndsWhereTheWholeForkEnds()
    {
        var (whole, parent) = Processes.Running(Start, Pages, copies: 2);
        whole.Mms.Users[parent] = 1;
        var child = ForkExec.Fork(whole, 0, parent, new Linux61());
        whole.Mms.Users[child] = 1;

        var (k, mm) = Processes.Running(Start, Pages, copies: 2);
        k.Mms.Users[mm] = 1;
        var m = Machine(k, mm, [new(OpKind.Fork, 0, 1)], []);
        Assert.True(m.Run(new RoundRobinScheduler()));

        Assert.Equal(child, m.MmOf(1));
        Assert.Equal(whole.Fingerprint(), k.Fingerprint());
        Assert.Equal(Totals(whole), Totals(k));

        // dup_mmap's start, a copy and a leave per PTE page of the parent (all eight pages share one), the pin, the flush.
        Assert.Equal(1 + (2 * 1) + 1 + 1, m.History.Count);
    }

    [Fact]
    public void AnExecStepByStepEndsWhereTheWholeExecEnds()
    {
        const int stack = 2;
        var (whole, old) = Processes.Running(Start, Pages);
        whole.Mms.Users[old] = 1;
        var mm = ForkExec.Exec(whole, 0, old, stack, new Linux61());

        var (k, old2) = Processes.Running(Start, Pages);
        k.Mms.Users[old2] = 1;
        var m = Machine(k, old2, [new(OpKind.Exec, 0, stack)], []);
        Assert.True(m.Run(new RoundRobinScheduler()));

        Assert.Equal(mm, m.MmOf(0));
        Assert.False(k.Mms.Live[old2]);
        Assert.Equal(whole.Fingerprint(), k.Fingerprint());
        Assert.Equal(Totals(whole), Totals(k));
    }

    /// <summary>
    /// After one copy_pte_range step the parent's PTEs are write-protected in Xen's tables already (a native locked
    /// bit-clear: every vCPU sees it) while the child's copies are still queued, the CPU in lazy MMU mode with
    /// interrupts on; the leave step issues them.
    /// </summary>
    [Fact]
    public void BetweenACopyAndItsLeaveTheParentIsWriteProtectedAndTheChildQueued()
    {
        var (k, parent) = Processes.Running(Start, Pages, copies: 2);
        k.Mms.Users[parent] = 1;
        var m = Machine(k, parent, [new(OpKind.Fork, 0, 1)], []);
        m.Apply(new Move(0, MoveKind.Step));
        m.Apply(new Move(0, MoveKind.Step));

        var src = MmOps.FindPteTable(k, 0, k.Mms.Pgd[parent], Start);
        for (var p = 0; p < Pages; p++)
        {
            Assert.Equal(0UL, k.Xen.Entry(src, Layout.PteIndex(Start) + p) & PageFlags.Rw);
        }

        var childMm = LastLiveMm(k);
        var dst = MmOps.FindPteTable(k, 0, k.Mms.Pgd[childMm], Start);
        Assert.NotEqual(0u, dst);
        Assert.Equal(0UL, k.Xen.Entry(dst, Layout.PteIndex(Start)));
        Assert.Equal(1, k.Mc.Pending(0));
        Assert.Equal(LazyMode.Mmu, k.Lazy[0]);
        Assert.False(m.InContextSwitch(0));

        m.Apply(new Move(0, MoveKind.Step));
        Assert.Equal(0, k.Mc.Pending(0));
        Assert.Equal(LazyMode.None, k.Lazy[0]);
        Assert.Equal(k.Xen.Entry(src, Layout.PteIndex(Start)), k.Xen.Entry(dst, Layout.PteIndex(Start)));
    }

    private static int LastLiveMm(Kernel k)
    {
        var last = 0;
        for (var i = 0; i < k.Mms.Live.Length; i++)
        {
            last = k.Mms.Live[i] ? i : last;
        }

        return last;
    }

    public static TheoryData<string> Handlers() => ["Linux61", "Linux411", "Linux413"];

    /// <summary>
    /// The seed thread's borrower in a lazy MMU batch: vCPU 1's kernel thread lazily holds P0's mm and has its vmap_pfn
    /// set_pte_at queued when P0's exit IPIs it. The handler runs in interrupt context, so leave_mm's CR3 write is
    /// issued at once and takes the interrupted entry with it (one multicall of both); xen_current_cr3 then no longer
    /// names the dying pgd, so the handler's second branch (4.11's load_cr3, 4.13's xen_mc_flush) does not run; the
    /// interrupted code is still in lazy MMU mode and its leave finds nothing left to issue.
    /// </summary>
    [Theory]
    [MemberData(nameof(Handlers))]
    public void AnIpiIntoALazyMmuBatchIssuesTheInterruptedEntries(string strategy)
    {
        var (k, p0) = Processes.Running(Start, Pages);
        k.Mms.Users[p0] = 1;
        var procs = new int[8];
        procs[0] = p0;
        var m = new Machine(k, ExitStrategies.Find(strategy)!, [[], [new(OpKind.Run, 0), new(OpKind.Kthread), new(OpKind.Vmap, 0, 1)]], procs);
        Assert.True(m.Run(new RoundRobinScheduler()));
        m.Begin([[new(OpKind.Exit, 0)], [new(OpKind.Vmap, 0, 1)]]);
        k.Branches = 0;

        var va = Layout.VmallocStart + (1UL << 16);
        var l1 = MmOps.FindPteTable(k, 1, k.SwapperPgd, va);
        m.Apply(new Move(1, MoveKind.Step));
        m.Apply(new Move(1, MoveKind.Step));
        Assert.Equal(1, k.Mc.Pending(1));
        Assert.Equal(0UL, k.Xen.Entry(l1, Layout.PteIndex(va)));
        Assert.Equal(k.Mms.Pgd[p0], k.XenCurrentCr3[1]);

        // P0's exit runs until its IPI is pending on vCPU 1.
        var guard = 0;
        while (!m.Enabled().ToArray().Contains(new Move(1, MoveKind.TakeIpi)))
        {
            m.Apply(new Move(0, MoveKind.Step));
            Assert.True(++guard < 100, "the exit sent no IPI to vCPU 1");
        }

        var multicalls = k.Events.Total(EventKind.McMulticall);
        m.Apply(new Move(1, MoveKind.TakeIpi));
        Assert.NotEqual(0UL, k.Branches & (1UL << (int)Branch.IpiQueuedMulticalls));
        Assert.Equal(0, k.Mc.Pending(1));
        Assert.True(PageFlags.IsPresent(k.Xen.Entry(l1, Layout.PteIndex(va))), "the handler's flush did not issue the interrupted set_pte_at");
        Assert.Equal(multicalls + 1, k.Events.Total(EventKind.McMulticall));
        Assert.Equal(k.SwapperPgd, k.XenCurrentCr3[1]);
        Assert.Equal(0, k.LoadedMm[1]);
        Assert.Equal(LazyMode.Mmu, k.Lazy[1]);
        Assert.Equal(0UL, k.Branches & ((1UL << (int)Branch.DropOtherMmRefLoadCr3) | (1UL << (int)Branch.DropOtherMmRefXenMcFlush)));

        var issued = k.Events.Total(EventKind.McFlushIssued);
        m.Apply(new Move(1, MoveKind.Step));
        Assert.Equal(issued, k.Events.Total(EventKind.McFlushIssued));
        Assert.Equal(LazyMode.None, k.Lazy[1]);

        Assert.True(m.Run(new RoundRobinScheduler()));
        m.Quiesce();
        Assert.Empty(GuestInvariantChecker.Check(k));
        Assert.Empty(new InvariantChecker().Check(k.Xen));
    }
}
