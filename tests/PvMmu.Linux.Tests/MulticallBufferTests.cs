using PvMmu.Events;
using PvMmu.Linux.Boot;
using PvMmu.Linux.Multicalls;
using PvMmu.Xen.Abi;

namespace PvMmu.Linux.Tests;

/// <summary>
/// The multicall buffer's geometry and flush rules (arch/x86/xen/multicalls.c;
/// docs/linux-paths.md#the-multicall-buffer).
/// </summary>
public sealed class MulticallBufferTests
{
    private static Kernel Boot() => Kernel.Boot(new KernelConfig { Vcpus = 2, Frames = 1024 });

    [Fact]
    public void ThirtyOneMmuUpdatesShareOneEntryAndTheThirtySecondFlushesFirst()
    {
        var k = Boot();
        var page = k.AllocPage(0);
        for (var i = 0; i < 31; i++)
        {
            k.Mc.ExtendMmuUpdate(0, MmuUpdateRequest.Normal(page, i, (ulong)i));
        }

        Assert.Equal(1, k.Mc.Pending(0));
        Assert.Equal(31 * 16, k.Mc.ArgBytes(0));
        Assert.Equal(0, k.Events.Total(EventKind.McFlushIssued));

        // 496 + 16 = 512 ≥ MC_ARGS: no extension, and a new entry does not fit either: flush, then start over.
        k.Mc.ExtendMmuUpdate(0, MmuUpdateRequest.Normal(page, 31, 31));
        Assert.Equal(1, k.Events.Total(EventKind.McFlushIssued));
        Assert.Equal(1, k.Events.Total(EventKind.McSingleton));
        Assert.Equal(1, k.Mc.Pending(0));
        k.Mc.Flush(0);
        Assert.Equal(31UL, k.Xen.Entry(page, 31));
        Assert.Equal(2, k.Xen.Events.Total(EventKind.Hypercall));
        Assert.Equal(32, k.Xen.Events.Total(EventKind.MmuUpdateRequest));
    }

    [Fact]
    public void TwentyOneMmuextOpsShareOneEntry()
    {
        var k = Boot();
        for (var i = 0; i < 22; i++)
        {
            k.Mc.ExtendMmuextOp(0, new MmuExtOpRequest(MmuExtOp.TlbFlushLocal, 0));
        }

        // 21 × 24 = 504; a 22nd would need 528.
        Assert.Equal(1, k.Events.Total(EventKind.McFlushIssued));
        k.Mc.Flush(0);
        Assert.Equal(22, k.Xen.Events.Total(EventKind.MmuExtOp));
        Assert.Equal(2, k.Xen.Events.Total(EventKind.Hypercall));
    }

    [Fact]
    public void ThirtyTwoEntriesAreOneMulticallAndTheThirtyThirdFlushes()
    {
        var k = Boot();
        var page = k.AllocPage(0);
        for (var i = 0; i < 33; i++)
        {
            k.Mc.UpdateVaMapping(0, k.Va(page), PvMmu.Xen.Abi.PageFlags.Entry(page, Mm.PteFlags.PageKernel), 0);
        }

        Assert.Equal(1, k.Events.Total(EventKind.McMulticall));
        Assert.Equal(32, k.Events.Total(EventKind.McEntryIssued));
        Assert.Equal(32, k.Xen.Events.Total(EventKind.MulticallEntry));
        Assert.Equal(1, k.Mc.Pending(0));
    }

    [Fact]
    public void AnUpdateVaMappingEntryBreaksARunOfUpdates()
    {
        var k = Boot();
        var page = k.AllocPage(0);
        k.Mc.ExtendMmuUpdate(0, MmuUpdateRequest.Normal(page, 0, 1));
        k.Mc.UpdateVaMapping(0, k.Va(page), PvMmu.Xen.Abi.PageFlags.Entry(page, Mm.PteFlags.PageKernel), 0);
        k.Mc.ExtendMmuUpdate(0, MmuUpdateRequest.Normal(page, 1, 1));
        Assert.Equal(3, k.Mc.Pending(0));
        k.Mc.Flush(0);
        Assert.Equal(1, k.Events.Total(EventKind.McMulticall));
        Assert.Equal(3, k.Xen.Events.Total(EventKind.MulticallEntry));
    }

    [Fact]
    public void FailedEntriesAreWarnedAndCallbacksStillRunInOrder()
    {
        var k = Boot();
        var page = k.AllocPage(0);
        k.Mc.ExtendMmuextOp(0, MmuExtOpRequest.NewBaseptr(page));
        k.Mc.Callback(0, CallbackKind.SetCurrentCr3, page);
        k.Mc.UpdateVaMapping(0, k.Va(page), PvMmu.Xen.Abi.PageFlags.Entry(page, Mm.PteFlags.PageKernelRo), 0);
        k.Mc.Flush(0);

        // NEW_BASEPTR of a frame still mapped writable fails, yet set_current_cr3 runs: the guest now believes it.
        var w = Assert.Single(k.Mc.Warnings);
        Assert.Equal(HypercallNumber.MmuextOp, w.Op);
        Assert.Equal(-Errno.EINVAL, w.Result);
        Assert.Equal(page, k.XenCurrentCr3[0]);
        Assert.Equal(k.SwapperPgd, k.Xen.Vcpu(0).GuestTable);
    }

    [Fact]
    public void ASnapshotReusedAfterAFullerOneRestoresOnlyWhatItSaved()
    {
        var k = Boot();
        var page = k.AllocPage(0);
        var other = k.AllocPage(0);

        // The fuller state: a WARN in the log, three entries and a callback queued on CPU 0.
        k.Mc.ExtendMmuextOp(0, MmuExtOpRequest.NewBaseptr(page));
        k.Mc.UpdateVaMapping(0, k.Va(page), PvMmu.Xen.Abi.PageFlags.Entry(page, Mm.PteFlags.PageKernelRo), 0);
        k.Mc.Flush(0);
        Assert.Single(k.Mc.Warnings);
        k.Mc.ExtendMmuUpdate(0, MmuUpdateRequest.Normal(page, 0, 1));
        k.Mc.ExtendMmuextOp(0, new MmuExtOpRequest(MmuExtOp.TlbFlushLocal, 0));
        k.Mc.ExtendMmuUpdate(0, MmuUpdateRequest.Normal(page, 1, 2));
        k.Mc.Callback(0, CallbackKind.SetCurrentCr3, page);
        var snapshot = k.Mc.Save();

        // The lighter one, saved into the same snapshot: no WARN, CPU 0 empty, one entry on CPU 1.
        k.Mc.Flush(0);
        k.Mc.Warnings.Clear();
        k.Mc.ExtendMmuUpdate(1, MmuUpdateRequest.Normal(other, 7, 9));
        var argBytes = k.Mc.ArgBytes(1);
        Assert.Same(snapshot, k.Mc.SaveInto(snapshot));

        // Moved on, then put back: only what the lighter state had comes back.
        k.Mc.ExtendMmuUpdate(0, MmuUpdateRequest.Normal(page, 2, 3));
        k.Mc.Warnings.Add(new McWarning(0, 0, HypercallNumber.MmuUpdate, 0, -Errno.EINVAL));
        k.Mc.Restore(snapshot);
        Assert.Empty(k.Mc.Warnings);
        Assert.Equal(0, k.Mc.Pending(0));
        Assert.Equal(1, k.Mc.Pending(1));
        Assert.Equal(argBytes, k.Mc.ArgBytes(1));
        var updates = k.Xen.Events.Total(EventKind.MmuUpdateRequest);
        k.Mc.Flush(1);
        Assert.Equal(updates + 1, k.Xen.Events.Total(EventKind.MmuUpdateRequest));
        Assert.Equal(9UL, k.Xen.Entry(other, 7));
    }

    [Fact]
    public void IssueDefersOnlyInTheNamedLazyModeAndNeverInAnInterrupt()
    {
        var k = Boot();
        var page = k.AllocPage(0);
        k.Lazy[0] = LazyMode.Mmu;
        k.Mc.ExtendMmuUpdate(0, MmuUpdateRequest.Normal(page, 0, 1));
        k.Mc.Issue(0, k.LazyNow(0), LazyMode.Mmu);
        Assert.Equal(1, k.Mc.Pending(0));
        k.Mc.Issue(0, k.LazyNow(0), LazyMode.Cpu);
        Assert.Equal(0, k.Mc.Pending(0));
        k.Mc.ExtendMmuUpdate(0, MmuUpdateRequest.Normal(page, 1, 1));
        k.InInterrupt[0] = true;
        k.Mc.Issue(0, k.LazyNow(0), LazyMode.Mmu);
        Assert.Equal(0, k.Mc.Pending(0));
    }

    [Fact]
    public void AnEntryOf511ArgumentBytesFitsAndTheNextEntryFlushesItForArgs()
    {
        var k = Boot();

        // __xen_mc_entry: argidx 0, 0 + 511 < MC_ARGS, so no flush; afterwards argidx = 511 < 512, so no BUG_ON.
        k.Mc.MmuextOpEntry(0, new MmuExtOpRequest(MmuExtOp.TlbFlushLocal, 0), MulticallBuffers.McArgs - 1);
        Assert.Equal(1, k.Mc.Pending(0));
        Assert.Equal(MulticallBuffers.McArgs - 1, k.Mc.ArgBytes(0));

        // The next entry, even without arguments: roundup(511, 8) = 512 ≥ MC_ARGS, a flush for ARGS first.
        k.Mc.MmuextOpEntry(0, new MmuExtOpRequest(MmuExtOp.TlbFlushLocal, 0), 0);
        Assert.Equal(1, k.Events.Total(EventKind.McFlushReasonArgs));
        Assert.Equal(1, k.Events.Total(EventKind.McSingleton));
        Assert.Equal(1, k.Mc.Pending(0));
        Assert.Equal(0, k.Events.Total(EventKind.KernelBug));
    }

    [Theory]
    [InlineData(MulticallBuffers.McArgs)]
    [InlineData(MulticallBuffers.McArgs + 8)]
    public void ArgumentsThatCanNeverFitAreTheBugOnAfterTheEntry(int argBytes)
    {
        var k = Boot();
        var page = k.AllocPage(0);
        k.Mc.ExtendMmuUpdate(0, MmuUpdateRequest.Normal(page, 0, 1));

        // __xen_mc_entry: 16 + argBytes ≥ MC_ARGS, so it flushes the queued update first (reason ARGS); in the empty
        // buffer argidx becomes argBytes ≥ MC_ARGS, and the BUG_ON after the entry fires.
        var bug = Assert.Throws<Invariants.KernelBugException>(() => k.Mc.MmuextOpEntry(0, new MmuExtOpRequest(MmuExtOp.TlbFlushLocal, 0), argBytes));
        Assert.Equal("arch/x86/xen/multicalls.c", bug.File);
        Assert.Equal("__xen_mc_entry", bug.Function);
        Assert.Equal("BUG_ON(b->argidx >= MC_ARGS)", bug.Condition);
        Assert.Equal(0, bug.Cpu);
        Assert.Equal(1, k.Events.Total(EventKind.KernelBug));
        Assert.Equal(1, k.Events.Total(EventKind.McFlushReasonArgs));
        Assert.Equal(1UL, k.Xen.Entry(page, 0));
    }

    [Fact]
    public void ExtendingABufferWhoseArgumentsOverflowedIsTheBugOnBeforeTheExtension()
    {
        var k = Boot();
        _ = Assert.Throws<Invariants.KernelBugException>(() => k.Mc.MmuextOpEntry(0, new MmuExtOpRequest(MmuExtOp.TlbFlushLocal, 0), MulticallBuffers.McArgs));

        // xen_mc_extend_args checks argidx < MC_ARGS before it looks at the last entry.
        var bug = Assert.Throws<Invariants.KernelBugException>(() => k.Mc.ExtendMmuextOp(0, new MmuExtOpRequest(MmuExtOp.TlbFlushLocal, 0)));
        Assert.Equal("xen_mc_extend_args", bug.Function);
        Assert.Equal(2, k.Events.Total(EventKind.KernelBug));
        Assert.Equal(0, k.Events.Total(EventKind.McExtendMmuextOpBadOp));
    }

    [Fact]
    public void AFlushWithFailedEntriesWarnsOnceAndLogsEachOne()
    {
        var k = Boot();
        var page = k.AllocPage(0);

        // Two entries of their own (not one extended), both NEW_BASEPTR of a frame still mapped writable: each fails
        // with -EINVAL, xen_mc_flush counts ret = 2 and WARN_ON(ret) fires once.
        k.Mc.MmuextOpEntry(0, MmuExtOpRequest.NewBaseptr(page));
        k.Mc.MmuextOpEntry(0, MmuExtOpRequest.NewBaseptr(page));
        k.Mc.Flush(0);
        Assert.Equal(1, k.Events.Total(EventKind.KernelWarn));
        Assert.Equal(2, k.Events.Total(EventKind.FailedCallLogged));
        Assert.Equal(new[] { 0, 1 }, k.Mc.Warnings.Select(w => w.Entry));

        // A flush without failures does not warn.
        k.Mc.MmuextOpEntry(0, new MmuExtOpRequest(MmuExtOp.TlbFlushLocal, 0));
        k.Mc.Flush(0);
        Assert.Equal(1, k.Events.Total(EventKind.KernelWarn));
        Assert.Equal(0, k.Events.Total(EventKind.KernelBug));
    }

    [Fact]
    public void ThirtyTwoCallbacksFitAndTheThirtyThirdFlushesFirst()
    {
        var k = Boot();
        for (var i = 0; i < MulticallBuffers.McBatch; i++)
        {
            k.Mc.Callback(0, CallbackKind.SetCurrentCr3, k.SwapperPgd);
        }

        Assert.Equal(0, k.Events.Total(EventKind.McFlush));

        // xen_mc_callback: cbidx == MC_BATCH, so it traces reason CALLBACK and flushes (nothing to issue) first.
        k.Mc.Callback(0, CallbackKind.SetCurrentCr3, k.SwapperPgd);
        Assert.Equal(1, k.Events.Total(EventKind.McFlushReasonCallback));
        Assert.Equal(1, k.Events.Total(EventKind.McFlush));
        Assert.Equal(0, k.Events.Total(EventKind.McFlushIssued));
        Assert.Equal(MulticallBuffers.McBatch + 1, k.Events.Total(EventKind.McCallback));
    }
}
