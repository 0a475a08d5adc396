using PvMmu.Events;
using PvMmu.Linux.Exit;
using PvMmu.Linux.Invariants;
using PvMmu.Linux.Mm;
using PvMmu.Linux.Pvops;
using PvMmu.Linux.Sched;
using PvMmu.Scheduling;
using PvMmu.Xen.Abi;
using PvMmu.Xen.Invariants;

namespace PvMmu.Linux.Tests;

/// <summary>
/// The machine's steps for what a process does after the start (cow_write, munmap, mmap, touch of a range,
/// clone_thread, mprotect, sleep): how many moves each takes, and every count derived from what the real 6.1 code
/// does, with the formula in the test.
/// </summary>
public sealed class ProcessStepTests
{
    private const ulong Start = 0x40_0000UL;

    /// <summary>16 MiB: a 64 KiB-aligned address with PTE pages of its own, under the PMD page <see cref="Start"/> uses.</summary>
    private const ulong At = 0x100_0000UL;

    private static long Issued(Kernel k) => k.Events.Total(EventKind.McFlushIssued) + k.Events.Total(EventKind.DirectHypercall);

    /// <summary>The PTE pages [start, start + pages·4 KiB) spans: one zap_pte_range or change_pte_range each.</summary>
    private static int Slices(ulong start, int pages) => (int)(((start + ((ulong)pages << 12) - 1) >> 21) - (start >> 21) + 1);

    private static int CeilDiv(int a, int b) => (a + b - 1) / b;

    /// <summary>Runs the programs round-robin to their end; returns the moves made.</summary>
    private static int Run(Machine m)
    {
        Assert.True(m.Run(new RoundRobinScheduler()), "deadlock: " + string.Join(" ", m.History));
        return m.History.Count;
    }

    private static void AssertClean(Kernel k)
    {
        Assert.Empty(k.Mc.Warnings);
        Assert.Empty(k.Oopses);
        Assert.Empty(new InvariantChecker().Check(k.Xen));
        Assert.Empty(GuestInvariantChecker.Check(k));
    }

    private static ulong Pte(Kernel k, int mm, ulong va) =>
        k.Xen.Entry(MmOps.FindPteTable(k, 0, k.Mms.Pgd[mm], va), Layout.PteIndex(va));

    /// <summary>A process of 64 pages forked on vCPU 0; the child is loaded there (and, if asked, on vCPU 1 too).</summary>
    private static (Kernel K, int Parent, int Child) Forked(bool childOnVcpu1 = false)
    {
        var (k, parent) = Processes.Running(Start, 64, copies: 3);
        var child = ForkExec.Fork(k, 0, parent, new Linux61());
        k.Mms.Users[child] = childOnVcpu1 ? 2 : 1;
        MmOps.SwitchMm(k, 0, child);
        if (childOnVcpu1)
        {
            MmOps.SwitchMm(k, 1, child);
        }

        k.Events.Reset();
        return (k, parent, child);
    }

    // ---- cow_write ----------------------------------------------------------------------------------------------

    /// <summary>
    /// wp_page_copy per page: a new frame, ptep_clear_flush (the get-and-clear traps on the pinned L1; flush_tlb_page
    /// with only this CPU in mm_cpumask is one INVLPG_LOCAL hypercall), set_pte_at (one direct mmu_update), and the
    /// old page's reference dropped: the parent's page is its own again.
    /// </summary>
    [Theory]
    [InlineData(1)]
    [InlineData(40)]
    public void ACowWriteCopiesEachSharedPageWithATrapAFlushAndASetPte(int pages)
    {
        var (k, parent, child) = Forked();
        var free = k.FreeFrames;
        var m = new Machine(k, new Linux61(), [[new(OpKind.CowWrite, 1, 0)], []], [parent, child]) { Ranges = [new UserRange(Start, pages)] };

        Assert.Equal(pages, Run(m));
        Assert.Equal(pages, k.Events.Total(EventKind.PageFault));
        Assert.Equal(pages, k.Xen.Events.Total(EventKind.PtwrEmulation));
        Assert.Equal(pages, k.Xen.Events.Total(EventKind.LocalInvlpg));
        Assert.Equal(2 * pages, Issued(k));
        Assert.Equal(free - pages, k.FreeFrames);
        for (var p = 0; p < 64; p++)
        {
            var va = Start + ((ulong)p << 12);
            Assert.Equal(p < pages ? 1 : 2, k.PageRef(PageFlags.Mfn(Pte(k, parent, va))));
            Assert.Equal(p < pages ? PageFlags.Rw : 0, Pte(k, child, va) & PageFlags.Rw);
        }

        AssertClean(k);
    }

    /// <summary>With another CPU in the child's mm_cpumask, each copy's flush is one flush_tlb_multi (INVLPG_MULTI).</summary>
    [Fact]
    public void ACowWriteOnAnMmLoadedElsewhereFlushesThroughXenOncePerPage()
    {
        const int pages = 8;
        var (k, parent, child) = Forked(childOnVcpu1: true);
        var m = new Machine(k, new Linux61(), [[new(OpKind.CowWrite, 1, 0)], []], [parent, child]) { Ranges = [new UserRange(Start, pages)] };

        Assert.Equal(pages, Run(m));
        Assert.Equal(pages, k.Events.Total(EventKind.FlushTlbMulti));
        Assert.Equal(pages, k.Xen.Events.Total(EventKind.RemoteFlush));
        Assert.Equal(2 * pages, Issued(k));
        AssertClean(k);
    }

    /// <summary>
    /// Once the child has its copy, the parent's page has one reference: do_wp_page reuses it (wp_page_reuse →
    /// ptep_set_access_flags: one set_pte, a direct mmu_update), with no new frame, no trap and no flush.
    /// </summary>
    [Fact]
    public void AfterTheChildsCopyTheParentsWriteReusesItsPage()
    {
        const int pages = 12;
        var (k, parent, child) = Forked();
        Run(new Machine(k, new Linux61(), [[new(OpKind.CowWrite, 1, 0)], []], [parent, child]) { Ranges = [new UserRange(Start, pages)] });
        MmOps.SwitchMm(k, 0, parent);
        k.Events.Reset();
        var free = k.FreeFrames;
        var m = new Machine(k, new Linux61(), [[new(OpKind.CowWrite, 0, 0)], []], [parent, child]) { Ranges = [new UserRange(Start, pages)] };

        Assert.Equal(pages, Run(m));
        Assert.Equal(pages, Issued(k));
        Assert.Equal(pages, k.Events.Total(EventKind.PageFault));
        Assert.Equal(0, k.Xen.Events.Total(EventKind.PtwrEmulation));
        Assert.Equal(0, k.Xen.Events.Total(EventKind.LocalInvlpg) + k.Xen.Events.Total(EventKind.LocalFlush));
        Assert.Equal(free, k.FreeFrames);
        Assert.Equal(PageFlags.Rw, Pte(k, parent, Start) & PageFlags.Rw);
        AssertClean(k);
    }

    // ---- munmap --------------------------------------------------------------------------------------------------

    /// <summary>
    /// A munmap step detaches the VMA (one move), zaps one PTE page per move, then frees tables and flushes (one
    /// move); its counts equal the all-at-once <see cref="Munmap.Unmap"/>'s, and one trap per present PTE.
    /// </summary>
    [Theory]
    [InlineData(0x1000UL, 600)]
    [InlineData(0UL, 512)]
    [InlineData(0x3000UL, 5)]
    public void AMunmapStepsOncePerPtePageAndCountsAsTheWholeCall(ulong offset, int pages)
    {
        var start = Start + offset;
        var (k, mm) = Processes.Running(Start, 1100, copies: 2);
        k.Events.Reset();
        var m = new Machine(k, new Linux61(), [[new(OpKind.Munmap, 0, 0)], []], [mm]) { Ranges = [new UserRange(start, pages)] };

        Assert.Equal(1 + Slices(start, pages) + 1, Run(m));
        Assert.Equal(pages, k.Xen.Events.Total(EventKind.PtwrEmulation));

        var (k2, mm2) = Processes.Running(Start, 1100, copies: 2);
        k2.Events.Reset();
        Munmap.Unmap(k2, 0, mm2, start, pages);
        foreach (var e in Enum.GetValues<EventKind>())
        {
            Assert.True(k.Events.Total(e) == k2.Events.Total(e), $"{e}: {k.Events.Total(e)} stepped, {k2.Events.Total(e)} at once");
        }

        Assert.Equal(k2.FreeFrames, k.FreeFrames);
        AssertClean(k);
    }

    /// <summary>
    /// tlb_finish_mmu flushes only if something was cleared or freed since the last flush: pages never touched, in a
    /// PTE page another mapping keeps, flush nothing (the model used to flush the range anyway).
    /// </summary>
    [Fact]
    public void AMunmapOfPagesNeverTouchedFlushesNothing()
    {
        var (k, mm) = Processes.Running(Start, 16);
        MmOps.MapAnonymous(k, mm, Start + (16UL << 12), 32);
        k.Events.Reset();
        Munmap.Unmap(k, 0, mm, Start + (16UL << 12), 32);
        Assert.Equal(0, Issued(k));
        Assert.Equal(0, k.Xen.Events.Total(EventKind.LocalInvlpg) + k.Xen.Events.Total(EventKind.LocalFlush));
        AssertClean(k);
    }

    /// <summary>
    /// When the mmu_gather fills (8 + 19 × 510 pages), zap_pte_range ends its pass, leaves lazy MMU mode (one
    /// xen_mc_flush), flushes the TLB (a full local flush, more than 33 pages: one more xen_mc_flush) and starts a new
    /// pass only if the PTE page has addresses left. A fill on the slice's last page is one pass (the model used to
    /// leave lazy MMU mode a second time there); a fill on its first page, two.
    /// </summary>
    [Trait("Category", "Slow")]
    [Theory]
    [InlineData(30, 18, 1)]
    [InlineData(31, 19, 2)]
    public void AFullGatherEndsThePassAndFlushesOnce(int offsetPages, int slice, int passes)
    {
        var pages = Munmap.GatherCapacity + 100;
        var (k, mm) = Processes.Running(Start, offsetPages + pages + 1, copies: 2);
        var start = Start + ((ulong)offsetPages << 12);
        var end = start + ((ulong)pages << 12);

        // The fill comes in slice `slice`: the pages of the slices before it are one fewer than the capacity.
        var before = (512 - offsetPages) + ((slice - 1) * 512);
        Assert.InRange(Munmap.GatherCapacity - before, 1, 512);

        Munmap.Detach(k, mm, start, end);
        var gathered = new List<uint>();
        var range = TlbRange.Empty;
        for (var i = 0; i < slice; i++)
        {
            Assert.True(Munmap.ZapSlice(k, 0, mm, start, end, i, false, gathered, ref range));
        }

        k.Events.Reset();
        Assert.True(Munmap.ZapSlice(k, 0, mm, start, end, slice, false, gathered, ref range));
        Assert.Equal(passes + 1, k.Events.Total(EventKind.McFlush));
        Assert.Equal(1, k.Xen.Events.Total(EventKind.LocalFlush));
        Assert.Equal(Math.Min(512, pages - before) - (Munmap.GatherCapacity - before), gathered.Count);
    }

    // ---- mmap, touch of a range, file-backed mappings ------------------------------------------------------------

    /// <summary>mmap makes a VMA only (one move, no hypercall); a touch faults each page (a set_pte each) and allocates its PTE pages.</summary>
    [Theory]
    [InlineData(1)]
    [InlineData(600)]
    public void AnMmapThenATouchFaultsEachPageAndAllocatesItsPtePages(int pages)
    {
        var (k, mm) = Processes.Running(Start, 16, copies: 64);
        k.Events.Reset();
        var free = k.FreeFrames;
        var mmap = new Machine(k, new Linux61(), [[new(OpKind.Mmap, 0, 0)], []], [mm]) { Ranges = [new UserRange(At, pages)] };
        Assert.Equal(1, Run(mmap));
        Assert.Equal(0, Issued(k));

        var touch = new Machine(k, new Linux61(), [[new(OpKind.TouchRange, 0, 0)], []], [mm]) { Ranges = [new UserRange(At, pages)] };
        Assert.Equal(pages, Run(touch));
        Assert.Equal(pages, k.Events.Total(EventKind.PageFault));
        Assert.Equal(pages, k.Events.Total(EventKind.SetPte));
        Assert.Equal(Slices(At, pages), k.Events.Total(EventKind.AllocPtpage));
        Assert.Equal(free - pages - Slices(At, pages), k.FreeFrames);
        AssertClean(k);
    }

    /// <summary>
    /// Two processes map the same file privately and read it all: do_fault_around maps the 16-page window of each
    /// fault (⌈pages/16⌉ faults per mm, a set_pte per page), every page is the page cache's one frame, and its
    /// reference count is the cache's plus one per mm mapping it. A munmap gives one back; no data frame is freed.
    /// </summary>
    [Fact]
    public void AFilePageIsOneFrameSharedByEveryMmThatMapsIt()
    {
        const int pages = 40;
        var (k, p0) = Processes.Running(Start, 16, copies: 8);
        var p1 = MmOps.CreateMm(k, 1);
        MmOps.MapAnonymous(k, p1, Start, 16);
        MmOps.TouchAll(k, 1, p1);
        Pinning.PgdPin(k, 1, k.Mms.Pgd[p1]);
        MmOps.SwitchMm(k, 1, p1);
        var cache = PageCache.Fill(k, 0, [new FileImage("libc", pages)]);
        k.Events.Reset();
        var free = k.FreeFrames;
        var m = new Machine(k, new Linux61(), [[new(OpKind.Mmap, 0, 0), new(OpKind.TouchRange, 0, 0)], [new(OpKind.Mmap, 1, 0), new(OpKind.TouchRange, 1, 0)]], [p0, p1])
        {
            Ranges = [new UserRange(At, pages, File: 0)],
            Files = cache,
        };

        Assert.Equal(2 * (1 + pages), Run(m));
        Assert.Equal(2 * CeilDiv(pages, MmOps.FaultAroundPages), k.Events.Total(EventKind.PageFault));
        Assert.Equal(2 * pages, k.Events.Total(EventKind.SetPte));
        Assert.Equal(free - 2, k.FreeFrames);
        for (var f = 0; f < pages; f++)
        {
            Assert.Equal(3, k.PageRef(cache.Frame(0, f)));
            Assert.Equal(cache.Frame(0, f), PageFlags.Mfn(Pte(k, p0, At + ((ulong)f << 12))));
            Assert.Equal(0UL, Pte(k, p1, At + ((ulong)f << 12)) & PageFlags.Rw);
        }

        free = k.FreeFrames;
        Munmap.Unmap(k, 0, p0, At, pages);
        Assert.Equal(2, k.PageRef(cache.Frame(0, 0)));
        Assert.Equal(free + 1, k.FreeFrames);
        AssertClean(k);
    }

    /// <summary>
    /// fork copies no PTE of a file mapping (vma_needs_copy: no anon_vma): the child has no PTE page there, and its
    /// first read faults the pages in again, 16 at a time.
    /// </summary>
    [Fact]
    public void ForkLeavesAFileMappingToTheChildsOwnFaults()
    {
        const int pages = 32;
        var (k, parent) = Processes.Running(Start, 16, copies: 8);
        var cache = PageCache.Fill(k, 0, [new FileImage("data", pages)]);
        MmOps.MapFile(k, parent, At, pages, 0, shared: false);
        for (var p = 0; p < pages; p++)
        {
            MmOps.Touch(k, 0, parent, At + ((ulong)p << 12), cache);
        }

        k.Events.Reset();
        var child = ForkExec.Fork(k, 0, parent, new Linux61());
        Assert.Equal(16, k.Events.Total(EventKind.SetPte));
        Assert.Equal(0U, MmOps.FindPteTable(k, 0, k.Mms.Pgd[child], At));

        k.Events.Reset();
        for (var p = 0; p < pages; p++)
        {
            MmOps.Touch(k, 0, child, At + ((ulong)p << 12), cache);
        }

        Assert.Equal(CeilDiv(pages, MmOps.FaultAroundPages), k.Events.Total(EventKind.PageFault));
        Assert.Equal(3, k.PageRef(cache.Frame(0, pages - 1)));
        AssertClean(k);
    }

    /// <summary>
    /// A dirty page of a shared file mapping forces zap_pte_range's flush at the end of its pass (6.1), so a munmap of
    /// 40 written pages across two PTE pages (20 each, their tables kept by neighbours) flushes each pass on its own:
    /// 2 × 20 INVLPGs; the same range of anonymous memory is one flush of 40 pages at tlb_finish_mmu, over the
    /// 33-page ceiling: one full flush.
    /// </summary>
    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void AMunmapOfDirtySharedFilePagesFlushesEveryPass(bool file)
    {
        const int pages = 40;
        const ulong at = 0x120_0000UL - (20UL << 12);
        var (k, mm) = Processes.Running(Start, 16, copies: 8);
        var cache = PageCache.Fill(k, 0, [new FileImage("shm", pages)]);
        MmOps.MapAnonymous(k, mm, at - 4096, 1);
        if (file)
        {
            MmOps.MapFile(k, mm, at, pages, 0, shared: true);
        }
        else
        {
            MmOps.MapAnonymous(k, mm, at, pages);
        }

        MmOps.MapAnonymous(k, mm, at + ((ulong)pages << 12), 1);
        for (var va = at - 4096; va < at + ((ulong)(pages + 1) << 12); va += 4096)
        {
            MmOps.Touch(k, 0, mm, va, cache);
        }

        k.Events.Reset();
        Munmap.Unmap(k, 0, mm, at, pages);

        Assert.Equal(0, k.Events.Total(EventKind.ReleasePtpage));
        Assert.Equal(file ? pages : 0, k.Xen.Events.Total(EventKind.LocalInvlpg));
        Assert.Equal(file ? 0 : 1, k.Xen.Events.Total(EventKind.LocalFlush));
        AssertClean(k);
    }

    // ---- clone_thread ----------------------------------------------------------------------------------------------

    /// <summary>mm_users = 1 + clones − exits: with a clone, one exit leaves the mm alive; without, it is torn down.</summary>
    [Theory]
    [InlineData(1)]
    [InlineData(0)]
    public void ACloneThreadSharesTheMmUntilItsLastThreadExits(int clones)
    {
        var (k, mm) = Processes.Running(Start, 16);
        var program = Enumerable.Repeat(new Op(OpKind.CloneThread, 0), clones).Append(new Op(OpKind.Exit, 0)).ToArray();
        var m = new Machine(k, new Linux61(), [program, []], [mm]);
        Run(m);
        m.Quiesce();
        Assert.Equal(1 + clones - 1, k.Mms.Users[mm]);
        Assert.Equal(clones > 0, k.Mms.Live[mm]);
        AssertClean(k);
    }

    // ---- mprotect --------------------------------------------------------------------------------------------------

    /// <summary>
    /// change_pte_range commits every present PTE with xen_ptep_modify_prot_commit (an mmu_update with
    /// MMU_PT_UPDATE_PRESERVE_AD, queued: 31 fit the multicall's 512 argument bytes, so ⌈pages/31⌉ hypercalls, and no
    /// trap), then flush_tlb_range: one INVLPG per page up to 33, else one full flush. PROT_READ clears RW; PROT_READ
    /// |PROT_WRITE gives it back to pages the mm alone holds.
    /// </summary>
    [Theory]
    [InlineData(10)]
    [InlineData(100)]
    public void AnMprotectCommitsEveryPresentPteInBatchesAndFlushesTheRange(int pages)
    {
        var (k, mm) = Processes.Running(Start, 512);
        k.Events.Reset();
        var m = new Machine(k, new Linux61(), [[new(OpKind.Mprotect, 0, 0)], []], [mm]) { Ranges = [new UserRange(Start, pages, Writable: false)] };

        Assert.Equal(Slices(Start, pages) + 1, Run(m));
        Assert.Equal(pages, k.Events.Total(EventKind.PtepModifyProtStart));
        Assert.Equal(pages, k.Events.Total(EventKind.PtepModifyProtCommit));
        Assert.Equal(pages, k.Xen.Events.Total(EventKind.MmuUpdateRequest));
        Assert.Equal(0, k.Xen.Events.Total(EventKind.PtwrEmulation));
        Assert.Equal(CeilDiv(pages, 31) + (pages <= Munmap.SinglePageFlushCeiling ? pages : 1), Issued(k));
        Assert.Equal(0UL, Pte(k, mm, Start) & PageFlags.Rw);
        Assert.Equal(PageFlags.Rw, Pte(k, mm, Start + ((ulong)pages << 12)) & PageFlags.Rw);

        var back = new Machine(k, new Linux61(), [[new(OpKind.Mprotect, 0, 0)], []], [mm]) { Ranges = [new UserRange(Start, pages)] };
        Run(back);
        Assert.Equal(PageFlags.Rw, Pte(k, mm, Start) & PageFlags.Rw);
        AssertClean(k);
    }

    /// <summary>After fork a page is not the mm's alone (can_change_pte_writable): PROT_READ|PROT_WRITE leaves it read-only.</summary>
    [Fact]
    public void AnMprotectWritableLeavesPagesSharedAfterForkReadOnly()
    {
        var (k, parent, child) = Forked();
        var m = new Machine(k, new Linux61(), [[new(OpKind.Mprotect, 1, 0)], []], [parent, child]) { Ranges = [new UserRange(Start, 8)] };
        Run(m);
        Assert.Equal(8, k.Events.Total(EventKind.PtepModifyProtCommit));
        Assert.Equal(0UL, Pte(k, child, Start) & PageFlags.Rw);
        AssertClean(k);
    }

    // ---- sleep -----------------------------------------------------------------------------------------------------

    /// <summary>
    /// A sleep is a switch to the idle task (four moves: it borrows the mm lazily, mmgrab) and one move blocked in
    /// SCHEDOP_block; the mm stays loaded, so when the process exits on vCPU 1, Linux 6.1's xen_drop_mm_ref sends the
    /// sleeping vCPU one IPI, which it takes.
    /// </summary>
    [Fact]
    public void ASleepBlocksHoldingTheMmLazilyAndAnExitElsewhereMustWakeIt()
    {
        var (k, mm) = Processes.Running(Start, 16);
        k.Events.Reset();
        var m = new Machine(k, new Linux61(), [[new(OpKind.Sleep), new(OpKind.Signal, 0, 0)], [new(OpKind.Wait, 0, 0), new(OpKind.Run, 0), new(OpKind.Exit, 0)]], [mm]);
        for (var i = 0; i < 5; i++)
        {
            m.Apply(new Move(0, MoveKind.Step));
        }

        Assert.Equal(OpKind.Signal, m.CurrentOp(0)?.Kind);
        Assert.Equal(1, k.Events.Total(EventKind.ContextSwitch));
        Assert.Equal(1, k.Events.Total(EventKind.SchedBlock));
        Assert.Equal(mm, k.LoadedMm[0]);
        Assert.True(k.IsLazyTlb[0]);
        Assert.Equal(2, k.Mms.Count[mm]);

        Run(m);
        m.Quiesce();
        Assert.Equal(1, k.Events.Total(EventKind.IpiSent));
        Assert.Equal(1, k.Events.Total(EventKind.IpiHandled));
        Assert.False(k.Mms.Live[mm]);
        AssertClean(k);
    }
}
