using PvMmu.Linux.Boot;
using PvMmu.Linux.Mm;
using PvMmu.Linux.Pvops;

namespace PvMmu.Linux.Tests;

/// <summary>Test fixtures: a booted guest with one process mapped, touched, pinned and running on vCPU 0.</summary>
internal static class Processes
{
    /// <summary>
    /// A process of <paramref name="pages"/> pages at <paramref name="start"/>, running on vCPU 0, with events reset.
    /// <paramref name="copies"/> sizes memory for that many copies of it (a fork doubles it).
    /// </summary>
    public static (Kernel K, int Mm) Running(ulong start, int pages, int copies = 1, int vcpus = 2)
    {
        // Room for the direct map's own tables (one L1 per 512 frames) and the processes'.
        var k = Kernel.Boot(new KernelConfig { Vcpus = vcpus, Frames = (copies * pages) + (pages / 128) + 1024 });
        var mm = MmOps.CreateMm(k, 0);
        MmOps.MapAnonymous(k, mm, start, pages);
        MmOps.TouchAll(k, 0, mm);
        Pinning.PgdPin(k, 0, k.Mms.Pgd[mm]);
        MmOps.SwitchMm(k, 0, mm);
        k.Xen.Events.Reset();
        return (k, mm);
    }
}
