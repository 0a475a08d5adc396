using PvMmu.Events;

namespace PvMmu.Xen.Tests.Conformance;

/// <summary>
/// A user-mode page fault of an x86-64 PV guest (Hypervisor.UserFault): Xen's #PF entry bounces it to the guest kernel
/// (pv_inject_page_fault → create_bounce_frame, toggle_guest_mode to the kernel's tables), and the guest returns with
/// HYPERVISOR_iret (a hypercall, toggle_guest_mode back). On bare hardware the CPU delivers it to the kernel itself.
/// </summary>
public sealed class UserFaultTests
{
    [Fact]
    public void AUserFaultIsOneBounceTwoModeSwitchesAndTheIretHypercall()
    {
        var m = new TestMachine();
        var before = m.H.Fingerprint();
        m.H.UserFault(1);
        Assert.Equal(1, m.H.Events.Total(EventKind.FaultInjected));
        Assert.Equal(2, m.H.Events.Total(EventKind.ModeSwitch));
        Assert.Equal(1, m.H.Events.Total(EventKind.Hypercall));

        // Nothing else: no flush, no table touched (the switches' non-global flushes are left out, docs/model.md).
        Assert.Equal(0, m.H.Events.Total(EventKind.LocalFlush));
        Assert.Equal(0, m.H.Events.Total(EventKind.MmuUpdateRequest));
        Assert.Equal(before, m.H.Fingerprint());
    }

    [Fact]
    public void BareHardwareHasNoRoundTrip()
    {
        var h = new Hypervisor(new HypervisorConfig { Vcpus = 2, GuestFrames = 16, FreeFrames = 4, OtherFrames = 0, XenFrames = 2, BareMetal = true });
        h.Events.Reset();
        h.UserFault(0);
        foreach (var e in new[] { EventKind.FaultInjected, EventKind.ModeSwitch, EventKind.Hypercall })
        {
            Assert.Equal(0, h.Events.Total(e));
        }
    }
}
