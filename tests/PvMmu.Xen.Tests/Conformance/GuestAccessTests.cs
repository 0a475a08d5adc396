using PvMmu.Events;
using PvMmu.Xen.Abi;
using PvMmu.Xen.Access;
using static PvMmu.Xen.Tests.TestMachine;

namespace PvMmu.Xen.Tests.Conformance;

/// <summary>
/// Guest loads and stores: the walk, the TLB and its flushes, and ptwr (docs/xen-rules.md#writable-page-tables,
/// #tlb-flushes).
/// </summary>
public sealed class GuestAccessTests
{
    [Fact]
    public void ALoadFillsTheTlbAndAStoreGoesThroughIt()
    {
        var m = new TestMachine();
        var f = m.G(30);
        Assert.Equal(AccessResult.Ok, m.H.Store(0, m.DirectVa(f) + 16, 99));
        Assert.Equal(AccessResult.Ok, m.H.Load(0, m.DirectVa(f) + 16, out var v));
        Assert.Equal(99UL, v);
        Assert.Equal(1, m.Count(EventKind.TlbFill));
        var e = m.H.TlbLookup(0, m.DirectVa(f));
        Assert.True(e is { Writable: true } x && x.Mfn == f);

        // The walk set the accessed and dirty bits of the L1 entry.
        Assert.Equal(PageFlags.Accessed | PageFlags.Dirty, m.H.Entry(m.KL1, 30) & (PageFlags.Accessed | PageFlags.Dirty));
    }

    [Fact]
    public void AStaleTlbEntrySurvivesAnL1ChangeUntilTheGuestFlushes()
    {
        var m = new TestMachine();
        var f = m.G(30);
        Assert.Equal(AccessResult.Ok, m.H.Load(0, m.DirectVa(f), out _));
        Ok(m.H.UpdateVaMapping(0, m.DirectVa(f), 0, UvmFlags.None));

        // Xen does not flush for an L1 change: the old translation still works.
        Assert.Equal(AccessResult.Ok, m.H.Load(0, m.DirectVa(f), out _));
        Ok(m.Ext(0, new MmuExtOpRequest(MmuExtOp.InvlpgLocal, m.DirectVa(f))));
        Assert.Equal(AccessResult.PageFault, m.H.Load(0, m.DirectVa(f), out _));
        Assert.Equal(1, m.Count(EventKind.FaultInjected));
    }

    [Fact]
    public void WriteToAnInUseL1IsEmulatedAndValidated()
    {
        var m = new TestMachine();
        var data = m.G(20);
        var (l4, _, _, l1) = m.BuildProcess(8, data);
        Ok(m.Ext(0, MmuExtOpRequest.Pin(4, l4)));
        var before = m.F(data);
        Assert.Equal(AccessResult.Emulated, m.H.Store(0, m.DirectVa(l1), 0));
        Assert.Equal(0UL, m.H.Entry(l1, 0));
        Assert.Equal(before.TypeCount - 1, m.F(data).TypeCount);

        // A new value is validated like mod_l1_entry: a writable mapping of a table is refused, and the guest faults.
        Assert.Equal(AccessResult.PageFault, m.H.Store(0, m.DirectVa(l1) + 8, E(l4, P | RW)));
        Assert.Equal(AccessResult.Emulated, m.H.Store(0, m.DirectVa(l1) + 8, E(l4, P)));
        Assert.Equal(AccessResult.Emulated, m.H.Xchg(0, m.DirectVa(l1) + 8, 0, out var old));
        Assert.Equal(l4, PageFlags.Mfn(old));
        Assert.Equal(3, m.Count(EventKind.PtwrEmulation));
        m.AssertInvariants();
    }

    [Fact]
    public void WritesToUpperTablesOrUnusedTablesOrInUserModeAreNotEmulated()
    {
        var m = new TestMachine();
        var (l4, _, l2, _) = m.BuildProcess(8, m.G(20));
        Ok(m.Ext(0, MmuExtOpRequest.Pin(4, l4)));
        Assert.Equal(AccessResult.PageFault, m.H.Store(0, m.DirectVa(l2), 0));
        var unused = m.G(30);
        m.MakeRo(unused);
        Assert.Equal(AccessResult.PageFault, m.H.Store(0, m.DirectVa(unused), 0));
        Assert.Equal(0, m.Count(EventKind.PtwrEmulation));
    }

    [Fact]
    public void WithoutTheWritablePagetablesAssistNothingIsEmulated()
    {
        var m = new TestMachine(writablePagetables: false);
        var (l4, _, _, l1) = m.BuildProcess(8, m.G(20));
        Ok(m.Ext(0, MmuExtOpRequest.Pin(4, l4)));
        Assert.Equal(AccessResult.PageFault, m.H.Store(0, m.DirectVa(l1), 0));
        Assert.Equal(0, m.Count(EventKind.PtwrEmulation));
    }

    [Fact]
    public void UserMappingsAreGlobalAndSurviveTheSwitchToKernelMode()
    {
        var m = new TestMachine();
        var data = m.G(20);
        var (l4, _, _, _) = m.BuildProcess(8, data);
        Ok(m.Ext(0, MmuExtOpRequest.NewUserBaseptr(l4)));
        Ok(m.H.Iret(0));
        Assert.False(m.H.Vcpu(0).KernelMode);
        Assert.Equal(AccessResult.Ok, m.H.Store(0, 0x8, 1));
        Assert.True(m.H.TlbLookup(0, 0) is { Global: true });
        m.H.EnterKernel(0);
        Assert.True(m.H.TlbLookup(0, 0) is { Global: true });
        Assert.Null(m.H.TlbLookup(0, m.DirectVa(data)));

        // A CR3 load flushes global entries too.
        Ok(m.Ext(0, MmuExtOpRequest.NewBaseptr(m.KL4)));
        Assert.Null(m.H.TlbLookup(0, 0));
    }

    [Fact]
    public void IretWithNoUserTablesCrashesTheDomain()
    {
        var m = new TestMachine();
        Ok(m.H.Iret(0));
        Assert.True(m.H.DomainCrashed);
    }

    [Fact]
    public void AccessesOutsideTheGuestsRangeFault()
    {
        var m = new TestMachine();
        Assert.Equal(AccessResult.PageFault, m.H.Load(0, 0xFFFF_8000_0000_0000UL, out _));
        Assert.Equal(AccessResult.PageFault, m.H.Load(0, 0x0000_8000_0000_0000UL, out _));
        Assert.Equal(AccessResult.PageFault, m.H.Load(0, m.DirectVa(m.G(30)) + 4, out _));
    }
}
