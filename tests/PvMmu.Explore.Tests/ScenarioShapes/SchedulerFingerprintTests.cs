using PvMmu.Explore.Models;
using PvMmu.Linux.Exit;
using PvMmu.Linux.Mm;

namespace PvMmu.Explore.Tests.ScenarioShapes;

/// <summary>
/// The scheduler's fingerprint, taken with the kernel's in one buffer, still follows every part of the kernel's
/// state, and nothing a munmap or an exit left past a VMA count.
/// </summary>
public sealed class SchedulerFingerprintTests
{
    [Fact]
    public void TheSchedulersFingerprintFollowsTheKernelsState()
    {
        var m = Scenarios.Build("exit-vs-switch", ExitStrategies.Find("Linux413")!, 3)();
        var before = m.Fingerprint();
        var k = m.K;
        var mm = 1;
        var count = k.Mms.VmaCount[mm];
        Assert.True(count > 0);

        k.Mms.VmaStart[(mm * MmTable.MaxVmas) + count] = 0xdead_0000;
        Assert.Equal(before, m.Fingerprint());

        k.Mms.VmaStart[mm * MmTable.MaxVmas] += 0x1000;
        var moved = m.Fingerprint();
        Assert.NotEqual(before, moved);
        Assert.Equal(moved, m.FingerprintFromScratch());

        k.Mms.VmaStart[mm * MmTable.MaxVmas] -= 0x1000;
        Assert.Equal(before, m.Fingerprint());
    }
}
