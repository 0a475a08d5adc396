using CsCheck;
using PvMmu.Xen.Abi;
using PvMmu.Xen.Frames;
using PvMmu.Xen.Invariants;
using static PvMmu.Xen.Tests.TestMachine;

namespace PvMmu.Xen.Tests.Properties;

/// <summary>
/// The explorer's shortcuts agree with the from-scratch computations in every state: the fingerprint built from the
/// page hashes cached in the copy-on-write pool equals one that hashes every page afresh, the invariant check over
/// the cached present slots reports exactly what the full recount reports (the same strings in the same order), and
/// a restored state has the fingerprint it had when it was saved, whatever was written in between.
/// </summary>
public sealed class IncrementalStateProperties
{
    private static readonly Gen<FuzzOp> Op =
        Gen.Select(Gen.Int[0, FuzzRunner.Kinds - 1], Gen.Int[0, 3], Gen.Int[0, 63], Gen.Int[0, 63], Gen.Int[0, 11], Gen.Int[0, 11], Gen.Int[0, 0xFFF], Gen.Int[0, 255])
            .Select(t => new FuzzOp(t.Item1, t.Item2, t.Item3, t.Item4, t.Item5, t.Item6, t.Item7, t.Item8));

    /// <summary>Each step: a guest action, then 0–9 = nothing, 10–11 = snapshot, 12–13 = restore an earlier snapshot.</summary>
    private static readonly Gen<(int Vcpus, (FuzzOp Op, int Then, int Which)[] Steps)> Sequence =
        Gen.Select(Gen.Int[1, 4], Gen.Select(Op, Gen.Int[0, 13], Gen.Int[0, 7]).Array[1, 40]);

    private static void Agrees(XenVersion version, (int Vcpus, (FuzzOp Op, int Then, int Which)[] Steps) s)
    {
        var h = new Hypervisor(FuzzRunner.Config(version, s.Vcpus));
        var fast = new InvariantChecker();
        var full = new InvariantChecker();
        var saved = new List<(HypervisorSnapshot Snapshot, ulong Fingerprint)>();
        for (var i = 0; i < s.Steps.Length; i++)
        {
            var (op, then, which) = s.Steps[i];
            FuzzRunner.Apply(h, op);
            Same(h, fast, full, $"after step {i} ({op})");
            if (then is 10 or 11)
            {
                saved.Add((h.Snapshot(), h.Fingerprint()));
            }
            else if (then is 12 or 13 && saved.Count > 0)
            {
                var (snapshot, fingerprint) = saved[which % saved.Count];
                h.Restore(snapshot);
                Same(h, fast, full, $"after restore at step {i}");
                if (h.Fingerprint() != fingerprint)
                {
                    throw new InvalidOperationException($"step {i}: a restored state's fingerprint differs from the one it was saved with");
                }
            }
        }
    }

    private static void Same(Hypervisor h, InvariantChecker fast, InvariantChecker full, string where)
    {
        var a = h.Fingerprint();
        var b = h.FingerprintFromScratch();
        if (a != b)
        {
            throw new InvalidOperationException($"{where}: cached fingerprint {a:x16}, from scratch {b:x16}");
        }

        var x = fast.Check(h);
        var y = full.CheckFull(h);
        if (!x.SequenceEqual(y))
        {
            throw new InvalidOperationException($"{where}: check reports [{string.Join("; ", x)}], the full recount [{string.Join("; ", y)}]");
        }
    }

    [Trait("Category", "Slow")]
    [Fact]
    public void CachedFingerprintAndCheckAgreeWithTheFullOnesOnCurrentXen() =>
        Sequence.Sample(s => Agrees(XenVersion.Current, s), iter: 20_000, print: Print);

    /// <summary>On 4.8 the stale-path half of I8 is reachable, so the two checks are also compared on real violations.</summary>
    [Trait("Category", "Slow")]
    [Fact]
    public void CachedFingerprintAndCheckAgreeWithTheFullOnesOnXen48() =>
        Sequence.Sample(s => Agrees(XenVersion.Xen48, s), iter: 10_000, print: Print);

    private static string Print((int Vcpus, (FuzzOp Op, int Then, int Which)[] Steps) s) =>
        $"{s.Vcpus} vCPUs: " + string.Join(" | ", s.Steps.Select(t => $"{t.Op} then {t.Then}/{t.Which}"));

    private static (TestMachine M, uint L4, uint L1, uint Data) Pinned()
    {
        var m = new TestMachine();
        var data = m.G(20);
        var (l4, _, _, l1) = m.BuildProcess(8, data);
        Ok(m.Ext(0, MmuExtOpRequest.Pin(4, l4)));
        return (m, l4, l1, data);
    }

    /// <summary>A wrong type count planted after a check has filled the caches is still caught, by both checks.</summary>
    [Fact]
    public void AWrongTypeCountIsCaughtWithTheCachesWarm()
    {
        var (m, _, l1, _) = Pinned();
        var checker = new InvariantChecker();
        Assert.Empty(checker.Check(m.H));
        _ = m.H.Fingerprint();
        m.H.Frames.TypeCount[l1]++;
        var fast = checker.Check(m.H);
        Assert.Contains(fast, e => e.StartsWith("I4: frame " + l1, StringComparison.Ordinal));
        Assert.Equal(new InvariantChecker().CheckFull(m.H), fast);
    }

    /// <summary>
    /// A table written after its present slots and hash were cached (here behind Xen's back, as a model bug would)
    /// drops both caches: the new entry is counted, and the fingerprint changes, in a snapshot's copy too.
    /// </summary>
    [Fact]
    public void AWriteToACachedTableDropsItsCaches()
    {
        var (m, _, l1, data) = Pinned();
        var checker = new InvariantChecker();
        Assert.Empty(checker.Check(m.H));
        var before = m.H.Fingerprint();
        var snapshot = m.H.Snapshot();
        m.H.WriteContents(l1, 9, E(data, P));
        var fast = checker.Check(m.H);
        Assert.Contains(fast, e => e.StartsWith("I1/I4: frame " + data, StringComparison.Ordinal));
        Assert.Equal(new InvariantChecker().CheckFull(m.H), fast);
        Assert.NotEqual(before, m.H.Fingerprint());
        Assert.Equal(m.H.FingerprintFromScratch(), m.H.Fingerprint());

        m.H.Restore(snapshot);
        Assert.Equal(before, m.H.Fingerprint());
        Assert.Empty(checker.Check(m.H));
    }

    /// <summary>The page hash depends on the contents only: a page cleared to zeros counts as no page at all.</summary>
    [Fact]
    public void PageHashesAreAFunctionOfTheContents()
    {
        var pool = new PageTablePool();
        var a = pool.Allocate();
        var b = pool.Allocate();
        Assert.Equal(PageTablePool.ZeroPageHash, pool.PageHash(a));
        pool.Write(a, 3, 0x1234_5067);
        pool.Write(b, 3, 0x1234_5067);
        Assert.Equal(pool.PageHash(a), pool.PageHash(b));
        Assert.Equal([3], pool.PresentSlots(a).ToArray());
        var copy = pool.Snapshot();
        pool.Write(a, 3, 0);
        Assert.Equal(PageTablePool.ZeroPageHash, pool.PageHash(a));
        Assert.Empty(pool.PresentSlots(a).ToArray());
        Assert.Equal(pool.PageHash(b), copy.PageHash(a));
        Assert.Equal([3], copy.PresentSlots(a).ToArray());
    }

    /// <summary>
    /// Every call takes a new version, even one that changes nothing; the fingerprint computed for the new version
    /// is the old one's, and a snapshot taken and restored at one version gives the state back.
    /// </summary>
    [Fact]
    public void ACallTakesANewVersionAndTheFingerprintFollowsTheState()
    {
        var (m, _, l1, data) = Pinned();
        var before = m.H.Fingerprint();
        var version = m.H.Generation;
        var snapshot = m.H.Snapshot();
        _ = m.H.Load(0, 0xdead_0000_0000, out _);
        Assert.NotEqual(version, m.H.Generation);
        Assert.Equal(m.H.FingerprintFromScratch(), m.H.Fingerprint());
        m.H.Restore(snapshot);
        Assert.Equal(version, m.H.Generation);
        Assert.Equal(before, m.H.Fingerprint());
        Ok(m.H.MmuUpdate(0, [MmuUpdateRequest.Normal(l1, 9, E(data, P))], out _));
        Assert.NotEqual(before, m.H.Fingerprint());
        Assert.Equal(m.H.FingerprintFromScratch(), m.H.Fingerprint());
        m.H.Restore(snapshot);
        Assert.Equal(before, m.H.FingerprintFromScratch());
    }

    /// <summary>
    /// A snapshot carries the fingerprint computed for its state, and a restore brings it back: the fingerprint after
    /// a restore is the restored state's (equal to one computed from scratch), whether the snapshot was taken with a
    /// fingerprint known, without one, or into an older snapshot that held another state's.
    /// </summary>
    [Fact]
    public void ARestoreBringsBackTheFingerprintOfTheStateItRestores()
    {
        var (m, _, l1, data) = Pinned();
        var first = m.H.Fingerprint();
        var withFingerprint = m.H.Snapshot();
        Ok(m.H.MmuUpdate(0, [MmuUpdateRequest.Normal(l1, 9, E(data, P))], out _));
        var withoutFingerprint = m.H.Snapshot();
        Ok(m.H.MmuUpdate(0, [MmuUpdateRequest.Normal(l1, 10, E(data, P))], out _));
        var third = m.H.Fingerprint();
        var reused = m.H.SnapshotInto(m.H.Snapshot());

        m.H.Restore(withFingerprint);
        Assert.Equal(first, m.H.Fingerprint());
        Assert.Equal(m.H.FingerprintFromScratch(), m.H.Fingerprint());

        m.H.Restore(withoutFingerprint);
        var second = m.H.Fingerprint();
        Assert.Equal(m.H.FingerprintFromScratch(), second);
        Assert.NotEqual(first, second);
        Assert.NotEqual(third, second);

        m.H.Restore(reused);
        Assert.Equal(third, m.H.Fingerprint());
        Assert.Equal(m.H.FingerprintFromScratch(), m.H.Fingerprint());

        // The older snapshot overwritten with the second state: it holds the second state's fingerprint, not the first's.
        m.H.Restore(withoutFingerprint);
        _ = m.H.Fingerprint();
        withFingerprint = m.H.SnapshotInto(withFingerprint);
        m.H.Restore(reused);
        m.H.Restore(withFingerprint);
        Assert.Equal(second, m.H.Fingerprint());
        Assert.Equal(m.H.FingerprintFromScratch(), m.H.Fingerprint());
    }
}
