using PvMmu.Events;
using PvMmu.Xen.Abi;
using static PvMmu.Xen.Tests.TestMachine;

namespace PvMmu.Xen.Tests.Conformance;

/// <summary>
/// HYPERVISOR_update_va_mapping: __do_update_va_mapping with every UVMF flag (docs/xen-rules.md#update_va_mapping).
/// </summary>
public sealed class UpdateVaMappingTests
{
    [Fact]
    public void UpdatesTheL1ReachedThroughTheCurrentTables()
    {
        var m = new TestMachine();
        var f = m.G(30);
        Ok(m.H.UpdateVaMapping(0, m.DirectVa(f), E(f, P), UvmFlags.None));
        Assert.Equal(E(f, P | U | PageFlags.GuestKernel), m.H.Entry(m.KL1, 30));
        Assert.Equal(0u, m.F(f).TypeCount);
        Assert.Equal(0, m.Count(EventKind.LocalFlush) + m.Count(EventKind.LocalInvlpg) + m.Count(EventKind.RemoteFlush));
        m.AssertInvariants();
    }

    [Theory]
    [InlineData(0x0000_8000_0000_0000UL)]
    [InlineData(0xFFFF_8000_0000_0000UL)]
    [InlineData(0xFFFF_87FF_FFFF_F000UL)]
    public void NonCanonicalOrXenAddressIsEinvalWithNoFlush(ulong va)
    {
        var m = new TestMachine();
        Assert.Equal(-Errno.EINVAL, m.H.UpdateVaMapping(0, va, 0, UvmFlags.Invlpg | UvmFlags.All));
        Assert.Equal(0, m.Count(EventKind.LocalInvlpg) + m.Count(EventKind.RemoteFlush));
        Assert.Null(m.H.HostCrash);
    }

    [Fact]
    public void UnmappedL2OrAnL1ThatIsNotAValidatedL1IsEinval()
    {
        var m = new TestMachine();
        Assert.Equal(-Errno.EINVAL, m.H.UpdateVaMapping(0, 0x1000, 0, UvmFlags.None));

        // A user address in a tree vCPU0 does not run on is not reachable.
        var (l4, _, _, _) = m.BuildProcess(8, m.G(20));
        Assert.Equal(-Errno.EINVAL, m.H.UpdateVaMapping(0, 0x0, 0, UvmFlags.None));
        Ok(m.Ext(0, MmuExtOpRequest.NewBaseptr(l4)));
        Ok(m.H.UpdateVaMapping(0, 0x0, 0, UvmFlags.None));
    }

    [Fact]
    public void FailedUpdateFlushesNothing()
    {
        var m = new TestMachine();
        Assert.Equal(-Errno.EBUSY, m.H.UpdateVaMapping(0, m.DirectVa(m.G(30)), E(m.KL3, P | RW), UvmFlags.TlbFlush | UvmFlags.All));
        Assert.Equal(0, m.Count(EventKind.LocalFlush) + m.Count(EventKind.RemoteFlush));
    }

    [Theory]
    [InlineData(UvmFlags.TlbFlush | UvmFlags.Local, 1, 0, 0, 0)]
    [InlineData(UvmFlags.TlbFlush | UvmFlags.All, 1, 0, 1, 2)]
    [InlineData(UvmFlags.Invlpg | UvmFlags.Local, 0, 1, 0, 0)]
    [InlineData(UvmFlags.Invlpg | UvmFlags.All, 0, 1, 1, 2)]
    [InlineData(UvmFlags.None | UvmFlags.All, 0, 0, 0, 0)]
    public void FlushesAsTheFlagsSay(ulong flags, int local, int invlpg, int remote, int targets)
    {
        var m = new TestMachine(vcpus: 3);
        var f = m.G(30);
        Ok(m.H.UpdateVaMapping(0, m.DirectVa(f), E(f, P), flags));
        Assert.Equal(local, m.Count(EventKind.LocalFlush));
        Assert.Equal(invlpg, m.Count(EventKind.LocalInvlpg));
        Assert.Equal(remote, m.Count(EventKind.RemoteFlush));
        Assert.Equal(targets, m.Count(EventKind.RemoteFlushTargets));
    }

    [Fact]
    public void MultiFlushUsesTheBitmapAndABadPointerIsEfaultAfterTheUpdate()
    {
        var m = new TestMachine(vcpus: 3);
        var f = m.G(30);
        Ok(m.H.UpdateVaMapping(0, m.DirectVa(f), E(f, P), UvmFlags.Invlpg | GuestHandles.Valid, vcpuMask: 0b100));
        Assert.Equal((0, 1, 1L), (m.Count(EventKind.LocalInvlpg), m.Count(EventKind.RemoteFlush), m.Count(EventKind.RemoteFlushTargets)));
        m.H.Events.Reset();
        Assert.Equal(-Errno.EFAULT, m.H.UpdateVaMapping(0, m.DirectVa(f), E(f, P | RW), UvmFlags.TlbFlush | GuestHandles.Bad, vcpuMask: 0b111));
        Assert.Equal(E(f, P | RW | U | PageFlags.GuestKernel), m.H.Entry(m.KL1, 30));
        Assert.Equal(0, m.Count(EventKind.LocalFlush) + m.Count(EventKind.RemoteFlush));
    }

    [Fact]
    public void OtherdomainChecksThePageOwner()
    {
        var m = new TestMachine();
        var f = m.G(30);
        Assert.Equal(-Errno.ESRCH, m.H.UpdateVaMappingOtherdomain(0, m.DirectVa(f), E(f, P), 0, 77));
        Assert.Equal(-Errno.ESRCH, m.H.UpdateVaMappingOtherdomain(0, m.DirectVa(f), E(f, P), 0, 1));
        Assert.Equal(-Errno.EPERM, m.H.UpdateVaMappingOtherdomain(0, m.DirectVa(f), E(f, P), 0, 2));
        Ok(m.H.UpdateVaMappingOtherdomain(0, m.DirectVa(f), E(f, P), 0, DomainIds.Self));
    }

    [Fact]
    public void Xen48FlushedEvenAfterAFailedUpdateAndCrashedOnANonCanonicalInvlpg()
    {
        var m = new TestMachine(version: XenVersion.Xen48);
        Assert.Equal(-Errno.EINVAL, m.H.UpdateVaMapping(0, 1UL << 63, 0, UvmFlags.Invlpg | UvmFlags.All));
        Assert.NotNull(m.H.HostCrash);
        var ok = new TestMachine(version: XenVersion.Xen48);
        Assert.Equal(-Errno.EBUSY, ok.H.UpdateVaMapping(0, ok.DirectVa(ok.G(30)), E(ok.KL3, P | RW), UvmFlags.TlbFlush | UvmFlags.All));
        Assert.Equal(1, ok.Count(EventKind.RemoteFlush));
        Assert.Null(ok.H.HostCrash);
    }
}
