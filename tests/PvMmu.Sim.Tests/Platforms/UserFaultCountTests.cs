using PvMmu.Events;
using PvMmu.Linux.Boot;
using PvMmu.Linux.Exit;
using PvMmu.Sim.Workloads;
using PvMmu.Xen;

namespace PvMmu.Sim.Tests.Platforms;

/// <summary>
/// Which demand faults take the x86-64 PV round trip through Xen: the program's own (user mode), not exec's stack
/// pages, which copy_strings → get_user_pages_remote faults in from the kernel.
/// </summary>
public sealed class UserFaultCountTests
{
    [Fact]
    public void ExecsStackFaultsAreTheKernelsAndHellosOwnAreBounced()
    {
        var hello = ProgramImages.Hello;
        var r = WorkloadRunner.Run("lat-proc-exec", ExitStrategies.Find("Linux61")!, 1, 0, 1, XenVersion.Current);
        var c = r.Events;
        var exec = c.PhaseIndex("exec");
        Assert.Equal(hello.TotalPages, c.InPhase(exec, EventKind.PageFault));
        Assert.Equal(hello.TotalPages - hello.StackPages, c.InPhase(exec, EventKind.FaultInjected));

        // Each bounce is one switch to the kernel's tables and one back; nothing else in the guest switches modes.
        for (var p = 0; p < c.Phases; p++)
        {
            Assert.Equal(2 * c.InPhase(p, EventKind.FaultInjected), c.InPhase(p, EventKind.ModeSwitch));
        }
    }

    [Theory]
    [InlineData("lat-proc-sh")]
    [InlineData("kbuild")]
    public void OnBareHardwareNoFaultIsBounced(string workload)
    {
        var r = WorkloadRunner.Run(WorkloadCatalog.Build(workload, 1, 24, 1), ExitStrategies.Find("Linux61")!, 1, XenVersion.Current, platform: Platform.Native);
        Assert.True(r.Events.Total(EventKind.PageFault) > 0);
        Assert.Equal(0, r.Events.Total(EventKind.FaultInjected));
        Assert.Equal(0, r.Events.Total(EventKind.ModeSwitch));
    }
}
