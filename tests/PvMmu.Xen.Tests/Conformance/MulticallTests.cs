using PvMmu.Events;
using PvMmu.Xen.Abi;
using static PvMmu.Xen.Tests.TestMachine;

namespace PvMmu.Xen.Tests.Conformance;

/// <summary>HYPERVISOR_multicall (docs/xen-rules.md#multicall, XSA-213).</summary>
public sealed class MulticallTests
{
    [Fact]
    public void AFailingEntryDoesNotStopTheBatchAndEachResultIsItsOwn()
    {
        var m = new TestMachine();
        var f = m.G(30);
        MulticallEntry[] calls =
        [
            MulticallEntry.UpdateVaMapping(m.DirectVa(f), E(f, P), UvmFlags.None),
            MulticallEntry.UpdateVaMapping(m.DirectVa(f), E(m.KL3, P | RW), UvmFlags.None),
            MulticallEntry.MmuextOp(0, 1),
            MulticallEntry.MmuUpdate(0, 2),
        ];
        MmuUpdateRequest[] reqs = [MmuUpdateRequest.Normal(m.G(31), 0, 5), new(7, 0)];
        MmuExtOpRequest[] ops = [MmuExtOpRequest.Pin(1, f)];
        Ok(m.H.Multicall(0, calls, reqs, ops));
        Assert.Equal(0, calls[0].Result);
        Assert.Equal(-Errno.EBUSY, calls[1].Result);
        Assert.Equal(0, calls[2].Result);
        Assert.Equal(-Errno.ENOSYS, calls[3].Result);
        Assert.True(m.F(f).Pinned);
        Assert.Equal(1, m.Count(EventKind.Hypercall));
        Assert.Equal(4, m.Count(EventKind.MulticallEntry));
        Assert.Equal(2, m.Count(EventKind.HypercallError));
        m.AssertInvariants();
    }

    [Fact]
    public void IretEndsTheBatchSinceXsa213()
    {
        var m = new TestMachine();
        var (l4, _, _, _) = m.BuildProcess(8, m.G(20));
        Ok(m.Ext(0, MmuExtOpRequest.NewUserBaseptr(l4)));
        MulticallEntry[] calls = [MulticallEntry.Iret(), MulticallEntry.XenVersion()];
        calls[1].Result = 12345;
        Ok(m.H.Multicall(0, calls, [], []));
        Assert.Equal(12345, calls[1].Result);
        Assert.False(m.H.Vcpu(0).KernelMode);

        var old = new TestMachine(version: XenVersion.Xen48);
        var (l4b, _, _, _) = old.BuildProcess(8, old.G(20));
        Ok(old.Ext(0, MmuExtOpRequest.NewUserBaseptr(l4b)));
        MulticallEntry[] calls48 = [MulticallEntry.Iret(), MulticallEntry.XenVersion()];
        Ok(old.H.Multicall(0, calls48, [], []));
        Assert.Equal((4L << 16) | 8, calls48[1].Result);
    }

    [Fact]
    public void NestingIsEinvalAndUnknownOpsEnosys()
    {
        var m = new TestMachine();
        MulticallEntry[] calls = [new() { Op = HypercallNumber.Multicall }, new() { Op = (HypercallNumber)55 }];
        Ok(m.H.Multicall(0, calls, [], []));
        Assert.Equal(-Errno.EINVAL, calls[0].Result);
        Assert.Equal(-Errno.ENOSYS, calls[1].Result);
        Assert.Equal(-Errno.EFAULT, m.H.Multicall(0, calls, [], [], GuestHandles.Bad));
    }

    [Fact]
    public void AContinuationInsideAMulticallIsAnotherGuestRoundTrip()
    {
        var m = new TestMachine();
        var (l4, _, l2, l1) = m.BuildProcess(8, m.G(20));
        Ok(m.Ext(0, MmuExtOpRequest.Pin(4, l4)));
        m.H.Events.Reset();
        MulticallEntry[] calls = [MulticallEntry.MmuUpdate(0, 1)];
        Ok(m.H.Multicall(0, calls, [MmuUpdateRequest.Normal(l2, 0, 0)], []));
        Assert.Equal(0, calls[0].Result);
        Assert.Equal(2, m.Count(EventKind.Hypercall));
        Assert.Equal(1, m.Count(EventKind.Continuation));
        Assert.Equal(0u, m.F(l1).TypeCount);
    }
}
