using PvMmu.Linux.Invariants;

namespace PvMmu.Linux.Tests;

/// <summary>
/// The kernel's per-frame state is versioned so that its hashes can be cached between states: every write takes a new
/// version, and the fast guest check still sees a write that breaks an invariant.
/// </summary>
public sealed class FrameVersionTests
{
    /// <summary>
    /// Each write to the kernel's per-frame state, alone, takes a new version: the fingerprint (whose hash of those
    /// arrays is kept while the version stands) changes and equals the one hashed from scratch; a restore brings back
    /// the fingerprint the state was saved with.
    /// </summary>
    [Fact]
    public void EveryPerFrameWriteTakesANewVersion()
    {
        var writes = new (string Name, Action<Kernel> Write)[]
        {
            ("SetPinned", k => k.SetPinned(k.FirstFrame + 40, !k.PagePinned[40])),
            ("SetUserPgd", k => k.SetUserPgd(k.FirstFrame + 41, 7)),
            ("GetDataPage", k => k.GetDataPage(k.FirstFrame + 42)),
            ("SetPteLocked", k => k.SetPteLocked(k.FirstFrame + 43, !k.PteLocked[43])),
            ("AllocPage", k => k.AllocPage(0)),
            ("FreePage", k => k.FreePage(k.FirstFrame + 44)),
            ("PutDataPage", k => k.PutDataPage(k.FirstFrame + 45)),
        };
        foreach (var (name, write) in writes)
        {
            var (k, _) = Processes.Running(0x40_0000UL, 64, vcpus: 3);
            k.GetDataPage(k.FirstFrame + 45);
            var saved = k.Snapshot();
            var before = k.Fingerprint();
            write(k);
            var after = k.Fingerprint();
            Assert.True(after != before, $"{name}: the fingerprint did not change");
            Assert.True(after == k.FingerprintFromScratch(), $"{name}: cached and from-scratch fingerprints differ");
            k.Restore(saved);
            Assert.True(k.Fingerprint() == before, $"{name}: the restored state's fingerprint differs");
        }
    }

    /// <summary>A guest frame whose PagePinned disagrees with its direct-map entry is G4 in the fast check too.</summary>
    [Fact]
    public void AFlippedPagePinnedIsStillCaught()
    {
        var (k, _) = Processes.Running(0x40_0000UL, 64, vcpus: 3);
        Assert.Empty(GuestInvariantChecker.Check(k));
        k.SetPinned(k.FirstFrame + 40, !k.PagePinned[40]);
        var fast = GuestInvariantChecker.Check(k);
        Assert.Contains(fast, e => e.StartsWith("G4: frame " + (k.FirstFrame + 40), StringComparison.Ordinal));
        Assert.Equal(GuestInvariantChecker.CheckFull(k, _ => false), fast);
    }
}
