using PvMmu.Events;
using PvMmu.Linux.Exit;
using PvMmu.Linux.Mm;
using PvMmu.Xen.Abi;
using PvMmu.Xen.Invariants;

namespace PvMmu.Linux.Tests;

/// <summary>The fork and exec streams of docs/linux-paths.md#fork-and-exec, counted exactly at several sizes.</summary>
public sealed class ForkExecTests
{
    private static (Kernel K, int Mm) Running(ulong start, int pages) => Processes.Running(start, pages, copies: 2);

    private static long Issued(Kernel k) => k.Events.Total(EventKind.McFlushIssued) + k.Events.Total(EventKind.DirectHypercall);

    /// <summary>The PTE counts per (VMA × PTE page) slice of [start, start + pages).</summary>
    private static List<int> Slices(ulong start, int pages)
    {
        var slices = new List<int>();
        var end = start + ((ulong)pages << 12);
        for (var va = start; va < end;)
        {
            var next = Math.Min(end, (va | 0x1F_FFFFUL) + 1);
            slices.Add((int)((next - va) >> 12));
            va = next;
        }

        return slices;
    }

    [Trait("Category", "Slow")]
    [Theory]
    [MemberData(nameof(PinningTests.Shapes), MemberType = typeof(PinningTests))]
    [MemberData(nameof(PinningTests.OneGib), MemberType = typeof(PinningTests))]
    public void ForkTrapsOncePerWritablePteAndBatchesTheChildsCopies(ulong start, int pages, int t3, int t2, int t1)
    {
        var (k, parent) = Running(start, pages);
        var before = Issued(k);
        var direct = k.Events.Total(EventKind.DirectHypercall);
        var child = ForkExec.Fork(k, 0, parent, new Linux61());

        // Σ ⌈n_i/31⌉ queued child updates, the child's pin, one local TLB flush of the parent.
        var expected = Slices(start, pages).Sum(n => (n + 30) / 31) + (((t3 + t2 + (2 * t1) + 4) + 31) / 32) + 1;
        Assert.Equal(expected, Issued(k) - before);
        Assert.Equal(pages, k.Xen.Events.Total(EventKind.PtwrEmulation));
        Assert.Equal(direct, k.Events.Total(EventKind.DirectHypercall));
        Assert.Equal(pages, k.Xen.Events.Total(EventKind.MmuUpdateRequest));
        Assert.Empty(k.Mc.Warnings);
        Assert.True(k.Pinned(k.Mms.Pgd[child]));

        // Both now map every page read-only; each page has two mappings.
        var first = MmOps.FindPteTable(k, 0, k.Mms.Pgd[parent], start);
        var pte = k.Xen.Entry(first, Layout.PteIndex(start));
        Assert.Equal(0UL, pte & PageFlags.Rw);
        Assert.Equal(2, k.PageRef(PageFlags.Mfn(pte)));
        Assert.Empty(new InvariantChecker().Check(k.Xen));
    }

    [Fact]
    public void AChildThatExitsLeavesTheParentsPagesAlive()
    {
        var (k, parent) = Running(0x40_0000UL, 600);
        var child = ForkExec.Fork(k, 0, parent, new Linux61());
        var free = k.FreeFrames;
        ExitPath.ExitMm(k, 1, child, new Linux61());
        ExitPath.MmDrop(k, 1, child, new Linux61());

        // Only the child's tables and pgds come back: 2 PTE pages, 1 PMD, 1 PUD, pgd and user pgd.
        Assert.Equal(free + 6, k.FreeFrames);
        Assert.Empty(k.Mc.Warnings);
        Assert.Empty(k.Oopses);
        Assert.Empty(new InvariantChecker().Check(k.Xen));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(20)]
    [InlineData(512)]
    public void ExecFaultsItsStackWithOneHypercallEachThenPinsAndSwitches(int stackPages)
    {
        var (k, old) = Running(0x40_0000UL, 4);
        var direct = k.Events.Total(EventKind.DirectHypercall);
        var flushes = k.Events.Total(EventKind.McFlushIssued);
        var mm = ForkExec.Exec(k, 0, old, stackPages, new Linux61());
        Assert.Equal(stackPages, k.Events.Total(EventKind.DirectHypercall) - direct);

        // Pin of a one-PTE-page tree (8 entries: 1 multicall), CR3 switch (1), then the old mm: it is no longer
        // loaded here, nobody else has it, so no drop hypercall; its unpin is one multicall of 8 entries.
        Assert.Equal(1 + 1 + 1, k.Events.Total(EventKind.McFlushIssued) - flushes);
        Assert.Equal(mm, k.LoadedMm[0]);
        Assert.Equal(k.Mms.Pgd[mm], k.XenCurrentCr3[0]);
        Assert.False(k.Mms.Live[old]);
        Assert.Empty(k.Mc.Warnings);
        Assert.Empty(new InvariantChecker().Check(k.Xen));
    }
}
