using PvMmu.Explore.Checks;
using PvMmu.Explore.Models;
using PvMmu.Linux.Exit;
using PvMmu.Linux.Invariants;
using PvMmu.Linux.Sched;
using PvMmu.Scheduling;
using PvMmu.Xen.Invariants;

namespace PvMmu.Explore.Tests;

/// <summary>
/// The explorer's per-state shortcuts (page hashes cached in the copy-on-write pool, the recount over cached present
/// slots, the guest check's single direct-map walk) agree with the from-scratch computations at every state of seeded
/// random walks over every scenario, exit path and vCPU count, including after restores; the check with a
/// <see cref="CheckMemo"/> carried along the walk reports exactly what the plain check reports (the broken exit paths
/// reach violations); and the one-pass independence of all pairs of moves is the pairwise one.
/// </summary>
public sealed class IncrementalStateTests
{
    public static TheoryData<string, string, int> Walks()
    {
        var d = new TheoryData<string, string, int>();
        foreach (var scenario in Scenarios.Names)
        {
            // Named, so that a new strategy adds no case by itself.
            foreach (var s in new[] { "Linux411", "Linux413", "Linux414", "Linux61", "NoExitUnpin", "TryUnpin", "BrokenNoDropMmRef", "BrokenCpumaskOnly", "EarlyPinLateUnpin" })
            {
                foreach (var vcpus in new[] { 2, 3 })
                {
                    d.Add(scenario, s, vcpus);
                }
            }
        }

        return d;
    }

    [Trait("Category", "Slow")]
    [Theory]
    [MemberData(nameof(Walks))]
    public void CachedFingerprintsAndChecksAgreeWithFromScratchOnesAtEveryState(string scenario, string strategy, int vcpus)
    {
        var build = Scenarios.Build(scenario, ExitStrategies.Find(strategy)!, vcpus);
        var fast = new InvariantChecker();
        var full = new InvariantChecker();
        var memoChecker = new InvariantChecker();
        var memo = new CheckMemo();
        var checkedStates = 0;
        for (var seed = 1; seed <= 8; seed++)
        {
            var rng = new Random(seed);
            var m = build();
            var saved = new List<(MachineSnapshot Snapshot, ulong Fingerprint)>();
            for (var move = 0; move < 120; move++)
            {
                Same(m, fast, full, $"seed {seed}, move {move}");
                SamePairs(m, $"seed {seed}, move {move}");
                var plain = ScheduleCheck.StateViolation(m, fast);
                Assert.True(plain == ScheduleCheck.StateViolation(m, memoChecker, memo, m.K.FramesFingerprint()), $"seed {seed}, move {move}: the memo changed the verdict");
                checkedStates++;
                var roll = rng.Next(8);
                if (roll == 0)
                {
                    saved.Add((m.Snapshot(), m.Fingerprint()));
                }

                var enabled = m.Enabled();
                if ((roll == 1 || enabled.Length == 0) && saved.Count > 0)
                {
                    // As a depth-first search does: back to an earlier state, whose later snapshots are dropped (a
                    // machine's history only goes back).
                    var back = rng.Next(saved.Count);
                    var (snapshot, fingerprint) = saved[back];
                    saved.RemoveRange(back + 1, saved.Count - back - 1);
                    m.Restore(snapshot);
                    Assert.Equal(fingerprint, m.Fingerprint());
                    continue;
                }

                if (enabled.Length == 0)
                {
                    break;
                }

                m.Apply(enabled[rng.Next(enabled.Length)]);
            }
        }

        Assert.True(checkedStates > 20);
    }

    /// <summary>
    /// Over every reachable state of each scenario (3 vCPUs, Linux413), the one-pass independence is the pairwise
    /// one. No reachable state of these has a CPU with a local step and an IPI both enabled, where the pass must
    /// still keep a CPU's two moves dependent; a scenario file could have one, so the pass is also given, at every
    /// state with a local step, that CPU's IPI beside it.
    /// </summary>
    [Trait("Category", "Slow")]
    [Theory]
    [MemberData(nameof(SmallScenarioNames))]
    public void OnePassIndependenceIsPairwiseAtEveryReachableState(string scenario)
    {
        // At 2 vCPUs: at 3 the free-running scenarios reach hundreds of thousands of states, each checked pair by
        // pair here.
        var m = Scenarios.Build(scenario, ExitStrategies.Find("Linux413")!, 2)();
        var seen = new HashSet<ulong>();
        var sameCpuWithLocal = 0;
        void Visit()
        {
            if (!seen.Add(m.Fingerprint()))
            {
                return;
            }

            SamePairs(m, $"state {seen.Count}");
            var enabled = m.Enabled().ToArray();
            var beside = enabled.Where(c => MoveFootprint.Local(m, c)).Select(c => new Move(c.Cpu, MoveKind.TakeIpi)).Except(enabled).ToArray();
            if (beside.Length > 0)
            {
                SamePairs(m, [.. enabled, .. beside], $"state {seen.Count} with IPIs beside its local steps");
                sameCpuWithLocal++;
            }

            var here = m.Snapshot();
            foreach (var c in enabled)
            {
                m.Restore(here);
                m.Apply(c);
                Visit();
            }
        }

        Visit();
        Assert.True(sameCpuWithLocal > 0, $"{scenario}: no state with a local step");
    }

    public static TheoryData<string> ScenarioNames() => [.. Scenarios.Names];

    /// <summary>The scenarios but exit-vs-fork (786,710 distinct states at 2 vCPUs under Linux61), which adds no kind of local move the others lack.</summary>
    public static TheoryData<string> SmallScenarioNames() => [.. Scenarios.Names.Where(s => s != "exit-vs-fork")];

    /// <summary>The one-pass independence of every pair of enabled moves is the pairwise one.</summary>
    private static void SamePairs(Machine m, string where) => SamePairs(m, m.Enabled().ToArray(), where);

    private static void SamePairs(Machine m, Move[] enabled, string where)
    {
        var pairs = new ulong[enabled.Length];
        MoveFootprint.IndependentPairs(m, enabled, pairs);
        for (var i = 0; i < enabled.Length; i++)
        {
            for (var j = 0; j < enabled.Length; j++)
            {
                var expected = j != i && MoveFootprint.Independent(m, enabled[j], enabled[i]);
                Assert.True(expected == ((pairs[i] >> j & 1) != 0), $"{where}: moves {i} and {j}: pairwise {expected}, one pass {!expected}");
            }
        }
    }

    private static void Same(Machine m, InvariantChecker fast, InvariantChecker full, string where)
    {
        Assert.True(m.Fingerprint() == m.FingerprintFromScratch(), $"{where}: cached and from-scratch fingerprints differ");
        Assert.Equal(m.K.Xen.FingerprintFromScratch(), m.K.Xen.Fingerprint());
        var x = fast.Check(m.K.Xen);
        var y = full.CheckFull(m.K.Xen);
        Assert.True(x.SequenceEqual(y), $"{where}: xen check [{string.Join("; ", x)}], full recount [{string.Join("; ", y)}]");
        var g = GuestInvariantChecker.Check(m.K, m.InContextSwitchCheck);
        var h = GuestInvariantChecker.CheckFull(m.K, m.InContextSwitch);
        Assert.True(g.SequenceEqual(h), $"{where}: guest check [{string.Join("; ", g)}], full check [{string.Join("; ", h)}]");
    }
}
