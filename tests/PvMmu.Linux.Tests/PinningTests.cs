using PvMmu.Events;
using PvMmu.Linux.Boot;
using PvMmu.Linux.Mm;
using PvMmu.Linux.Pvops;
using PvMmu.Xen.Frames;
using PvMmu.Xen.Invariants;

namespace PvMmu.Linux.Tests;

/// <summary>
/// xen_pgd_pin and xen_pgd_unpin issue exactly the entries docs/linux-paths.md#pinning derives: T3 + T2 + 2·T1 + 4 to
/// pin and T3 + T2 + 2·T1 + 3 to unpin, in ⌈E/32⌉ hypercalls, for trees of several shapes.
/// </summary>
public sealed class PinningTests
{
    /// <summary>Address, page count, and the tree it needs: PUD pages (T3), PMD pages (T2), PTE pages (T1).</summary>
    public static TheoryData<ulong, int, int, int, int> Shapes() => new()
    {
        { 0x40_0000UL, 1, 1, 1, 1 },                        // one page
        { 0x40_0000UL, 512, 1, 1, 1 },                      // one full PTE page
        { 0x40_0000UL, (3 * 512) + 5, 1, 1, 4 },            // a VMA spanning several PMDs
        { 0x3FE0_0000UL, 1024, 1, 2, 2 },                   // across a 1 GiB boundary: two PMD pages
        { 0x7F_FFE0_0000UL, 1024, 2, 2, 2 },                // across a 512 GiB boundary: two PUD pages
    };

    /// <summary>1 GiB: 262,144 pages in 512 PTE pages under one PMD and one PUD page.</summary>
    public static TheoryData<ulong, int, int, int, int> OneGib() => new() { { 0x40_0000_0000UL, 512 * 512, 1, 1, 512 } };

    private static (Kernel K, int Mm, uint Pgd) Process(ulong start, int pages)
    {
        var k = Kernel.Boot(new KernelConfig { Vcpus = 2, Frames = pages + (pages / 256) + 1024 });
        var mm = MmOps.CreateMm(k, 0);
        MmOps.MapAnonymous(k, mm, start, pages);
        MmOps.TouchAll(k, 0, mm);
        return (k, mm, k.Mms.Pgd[mm]);
    }

    private static int Flushes(int entries) => (entries + 31) / 32;

    [Trait("Category", "Slow")]
    [Theory]
    [MemberData(nameof(Shapes))]
    [MemberData(nameof(OneGib))]
    public void PinIssuesT3PlusT2PlusTwoT1PlusFourEntries(ulong start, int pages, int t3, int t2, int t1)
    {
        var (k, _, pgd) = Process(start, pages);
        var entries = k.Events.Total(EventKind.McEntryIssued);
        var flushes = k.Events.Total(EventKind.McFlushIssued);
        Pinning.PgdPin(k, 0, pgd);
        var expected = t3 + t2 + (2 * t1) + 4;
        Assert.Equal(expected, k.Events.Total(EventKind.McEntryIssued) - entries);
        Assert.Equal(Flushes(expected), k.Events.Total(EventKind.McFlushIssued) - flushes);
        Assert.Empty(k.Mc.Warnings);
        Assert.All(k.PteLocked.ToArray(), locked => Assert.False(locked));
        var info = k.Xen.Frame(pgd);
        Assert.True(info.Pinned && info.Validated && info.Type == PageType.L4);
        Assert.True(k.Xen.Frame(k.UserPgd(pgd)).Pinned);
        Assert.Empty(new InvariantChecker().Check(k.Xen));
    }

    [Trait("Category", "Slow")]
    [Theory]
    [MemberData(nameof(Shapes))]
    [MemberData(nameof(OneGib))]
    public void UnpinIssuesT3PlusT2PlusTwoT1PlusThreeEntries(ulong start, int pages, int t3, int t2, int t1)
    {
        var (k, _, pgd) = Process(start, pages);
        Pinning.PgdPin(k, 0, pgd);
        k.Events.Reset();
        var entries = k.Events.Total(EventKind.McEntryIssued);
        var flushes = k.Events.Total(EventKind.McFlushIssued);
        Pinning.PgdUnpin(k, 0, pgd);
        var expected = t3 + t2 + (2 * t1) + 3;
        Assert.Equal(expected, k.Events.Total(EventKind.McEntryIssued) - entries);
        Assert.Equal(Flushes(expected), k.Events.Total(EventKind.McFlushIssued) - flushes);
        Assert.Empty(k.Mc.Warnings);

        // Nobody had the mm loaded: the whole tree is demoted, pgd and user pgd included, and every page is
        // ordinary writable memory again (its direct-map mapping is read-write).
        Assert.Equal(t3 + t2 + t1 + 2, k.Xen.Events.Total(EventKind.TableDevalidated));
        Assert.Equal(PageType.Writable, k.Xen.Frame(pgd).Type);
        Assert.Equal(1u, k.Xen.Frame(pgd).TypeCount);
        Assert.False(k.Pinned(pgd));
        Assert.Empty(new InvariantChecker().Check(k.Xen));
    }

    [Fact]
    public void SetPteIsAHypercallEvenOnAnUnpinnedTable()
    {
        var (k, mm, _) = Process(0x40_0000UL, 1);
        var before = k.Events.Total(EventKind.DirectHypercall);
        MmOps.FaultIn(k, 0, mm, 0x40_1000UL);
        Assert.Equal(before + 1, k.Events.Total(EventKind.DirectHypercall));
    }
}
