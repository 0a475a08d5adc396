using PvMmu.Events;
using PvMmu.Linux.Boot;
using PvMmu.Linux.Invariants;
using PvMmu.Linux.Mm;

namespace PvMmu.Linux.Tests;

/// <summary>
/// The kernel's BUG_ONs where the guest model follows code that has them, here xen_pgd_alloc's (arch/x86/xen/mmu_pv.c):
/// each fires exactly when its condition holds, stops the run with the kernel's message and is counted once.
/// </summary>
public sealed class KernelCheckTests
{
    private static Kernel Boot() => Kernel.Boot(new KernelConfig { Vcpus = 2, Frames = 1024 });

    [Fact]
    public void ANewMmsPgdIsNeitherPinnedNorGivenAUserPgdYet()
    {
        var k = Boot();
        var mm = MmOps.CreateMm(k, 1);
        Assert.NotEqual(0u, k.UserPgd(k.Mms.Pgd[mm]));
        Assert.Equal(0, k.Events.Total(EventKind.KernelBug));
    }

    [Fact]
    public void APinnedPageHandedOutAsAPgdIsXenPgdAllocsFirstBugOn()
    {
        var k = Boot();

        // The page allocator hands out the page freed last: make that page one still marked pinned.
        var page = k.AllocPage(0);
        k.SetPinned(page, true);
        k.FreePage(page);
        var bug = Assert.Throws<KernelBugException>(() => MmOps.CreateMm(k, 1));
        Assert.Equal(("arch/x86/xen/mmu_pv.c", "xen_pgd_alloc", "BUG_ON(PagePinned(virt_to_page(pgd)))", 1), (bug.File, bug.Function, bug.Condition, bug.Cpu));
        Assert.Equal(1, k.Events.ForVcpu(1, EventKind.KernelBug));
    }

    [Fact]
    public void APageThatStillNamesAUserPgdIsXenPgdAllocsSecondBugOn()
    {
        var k = Boot();
        var page = k.AllocPage(0);
        k.SetUserPgd(page, page + 1);
        k.FreePage(page);
        var bug = Assert.Throws<KernelBugException>(() => MmOps.CreateMm(k, 0));
        Assert.Equal("BUG_ON(page->private != 0)", bug.Condition);
        Assert.Equal(1, k.Events.Total(EventKind.KernelBug));
    }
}
