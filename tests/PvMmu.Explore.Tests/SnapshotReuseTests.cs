using PvMmu.Explore.Models;
using PvMmu.Linux.Exit;
using PvMmu.Linux.Sched;

namespace PvMmu.Explore.Tests;

/// <summary>
/// A snapshot taken into a reused one (<see cref="Machine.SnapshotInto"/>, as the exhaustive search does with one per
/// depth) restores exactly what a fresh snapshot does: two machines driven by the same seeded random walk, one saving
/// fresh snapshots and one overwriting old ones, agree on the fingerprint, the enabled moves and the history at every
/// step, including after restores; and no snapshot sees a write made after it was taken (copy-on-write pages).
/// </summary>
public sealed class SnapshotReuseTests
{
    public static TheoryData<string, string, int> Walks() => IncrementalStateTests.Walks();

    [Trait("Category", "Slow")]
    [Theory]
    [MemberData(nameof(Walks))]
    public void ReusedSnapshotsRestoreWhatFreshOnesDo(string scenario, string strategy, int vcpus)
    {
        var build = Scenarios.Build(scenario, ExitStrategies.Find(strategy)!, vcpus);
        var restores = 0;
        for (var seed = 1; seed <= 8; seed++)
        {
            var rng = new Random(seed);
            var fresh = build();
            var reused = build();

            // The stack of saved states, as a depth-first search keeps it; slots outlive the states popped off them,
            // and the next state saved at that depth overwrites the old snapshot there.
            var freshStack = new List<(MachineSnapshot Snapshot, ulong Fingerprint)>();
            var slots = new List<MachineSnapshot>();
            for (var move = 0; move < 150; move++)
            {
                var where = $"seed {seed}, move {move}";
                Same(fresh, reused, where);
                var roll = rng.Next(6);
                if (roll == 0)
                {
                    var depth = freshStack.Count;
                    freshStack.Add((fresh.Snapshot(), fresh.Fingerprint()));
                    var s = reused.SnapshotInto(depth < slots.Count ? slots[depth] : null);
                    if (depth < slots.Count)
                    {
                        Assert.Same(slots[depth], s);
                        slots[depth] = s;
                    }
                    else
                    {
                        slots.Add(s);
                    }
                }

                var enabled = fresh.Enabled();
                if ((roll == 1 || enabled.Length == 0) && freshStack.Count > 0)
                {
                    // Back to a saved state, several times over as a search does after each move from it; the states
                    // saved after it are dropped, their slots kept for reuse.
                    var back = rng.Next(freshStack.Count);
                    var (snapshot, fingerprint) = freshStack[back];
                    freshStack.RemoveRange(back + 1, freshStack.Count - back - 1);
                    fresh.Restore(snapshot);
                    reused.Restore(slots[back]);
                    Assert.Equal(fingerprint, fresh.Fingerprint());
                    Assert.Equal(fingerprint, reused.Fingerprint());
                    Assert.Equal(fingerprint, reused.FingerprintFromScratch());
                    restores++;
                    continue;
                }

                if (enabled.Length == 0)
                {
                    break;
                }

                var c = enabled[rng.Next(enabled.Length)];
                fresh.Apply(c);
                reused.Apply(c);
            }
        }

        Assert.True(restores > 10, $"only {restores} restores");
    }

    [Trait("Category", "Slow")]
    [Theory]
    [MemberData(nameof(Walks))]
    public void ADepthFirstSearchWithOneSnapshotPerDepthMatchesOneWithFreshSnapshots(string scenario, string strategy, int vcpus)
    {
        var build = Scenarios.Build(scenario, ExitStrategies.Find(strategy)!, vcpus);
        for (var seed = 1; seed <= 4; seed++)
        {
            var rng = new Random(seed);
            var fresh = build();
            var reused = build();
            var slots = new List<MachineSnapshot>();
            var budget = 300;
            Visit(0);
            Assert.True(budget < 300 - 20, $"seed {seed}: only {300 - budget} states");

            // Takes both snapshots of the state, then tries up to two random moves from it (as the search does, with a
            // restore after each), going deeper until the budget runs out.
            void Visit(int depth)
            {
                Same(fresh, reused, $"seed {seed}, depth {depth}");
                if (--budget <= 0)
                {
                    return;
                }

                var fp = fresh.Fingerprint();
                var here = fresh.Snapshot();
                var mine = reused.SnapshotInto(depth < slots.Count ? slots[depth] : null);
                if (depth == slots.Count)
                {
                    slots.Add(mine);
                }

                Assert.Same(slots[depth], mine);
                var tries = 1 + rng.Next(2);
                for (var t = 0; t < tries && budget > 0; t++)
                {
                    var enabled = fresh.Enabled();
                    if (enabled.Length == 0)
                    {
                        return;
                    }

                    var c = enabled[rng.Next(enabled.Length)];
                    fresh.Apply(c);
                    reused.Apply(c);
                    Visit(depth + 1);
                    fresh.Restore(here);
                    reused.Restore(mine);
                    Assert.Equal(fp, reused.FingerprintFromScratch());
                    Same(fresh, reused, $"seed {seed}, back at depth {depth}");
                }
            }
        }
    }

    [Fact]
    public void TheExplorableDefaultTakesAFreshSnapshot()
    {
        IExplorable race = new Xsa401Race(preFix: false);
        var first = race.SnapshotInto(null);
        var second = race.SnapshotInto(first);
        Assert.NotSame(first, second);
    }

    private static void Same(Machine a, Machine b, string where)
    {
        Assert.True(a.Fingerprint() == b.Fingerprint(), where);
        Assert.True(a.FingerprintFromScratch() == b.FingerprintFromScratch(), where);
        Assert.True(a.Enabled().SequenceEqual(b.Enabled()), where);
        Assert.True(a.History.Count == b.History.Count, where);
    }
}
