using PvMmu.Xen.Frames;

namespace PvMmu.Xen.Tests.Properties;

/// <summary>
/// <see cref="PageTablePool.SnapshotInto"/> keeps the copy-on-write promise of <see cref="PageTablePool.Snapshot"/>:
/// a snapshot taken into a reused one never sees a write made after it, whether the page was last written before the
/// snapshot (so the live pool owned it) or shared; and restoring it brings back exactly its pages and hashes.
/// </summary>
public sealed class PageTablePoolReuseTests
{
    [Fact]
    public void AReusedSnapshotNeverSeesALaterWrite()
    {
        var pool = new PageTablePool(4);
        var a = pool.Allocate();
        var b = pool.Allocate();
        pool.Write(a, 0, 1);
        var reuse = pool.SnapshotInto(null);

        for (ulong round = 2; round < 20; round++)
        {
            // Owned by the live pool since the last snapshot, so written in place unless the snapshot below shares it.
            pool.Write(a, 0, round);
            pool.Write(b, (int)round, round);
            var hashA = pool.PageHash(a);
            var hashB = pool.PageHash(b);
            var taken = pool.SnapshotInto(reuse);
            Assert.Same(reuse, taken);
            Assert.Equal(2, taken.Count);

            pool.Write(a, 0, 1000 + round);
            pool.Write(b, (int)round, 0);
            Assert.Equal(round, taken.Read(a, 0));
            Assert.Equal(round, taken.Read(b, (int)round));

            pool.RestoreFrom(taken);
            Assert.Equal(round, pool.Read(a, 0));
            Assert.Equal(hashA, pool.PageHash(a));
            Assert.Equal(hashB, pool.PageHash(b));
            Assert.Equal(PageTablePool.ComputeHash(pool.View(b)), pool.PageHash(b));

            // Written again after the restore: the snapshot still holds what it was taken with.
            pool.Write(a, 0, 2000 + round);
            Assert.Equal(round, taken.Read(a, 0));
        }
    }

    [Fact]
    public void AReusedSnapshotOfFewerPagesDropsTheRest()
    {
        var pool = new PageTablePool(4);
        var a = pool.Allocate();
        pool.Write(a, 1, 7);
        var small = pool.Snapshot();
        pool.Write(pool.Allocate(), 2, 9);
        var big = pool.Snapshot();
        pool.RestoreFrom(small);
        var taken = pool.SnapshotInto(big);
        Assert.Same(big, taken);
        Assert.Equal(1, taken.Count);
        pool.Allocate();
        pool.RestoreFrom(taken);
        Assert.Equal(1, pool.Count);
        Assert.Equal(7UL, pool.Read(a, 1));
    }
}
