using PvMmu.Explore.Models;
using PvMmu.Explore.Tests.Enumeration;

namespace PvMmu.Explore.Tests.Symmetry;

/// <summary>
/// On the abstraction of <c>--symmetry on</c> (per-CPU walks unordered), every renaming of a scenario's
/// interchangeable vCPUs is an automorphism: a renamed state has the renamed successors. Checked on the states of
/// random walks, for every renaming of the group, by the canonical fingerprints the search keys its visited set on
/// and by the full state (flush times normalized) of each successor.
/// </summary>
public sealed class SymmetryAutomorphismTests
{
    public static TheoryData<string, int, int> WalksToCheck()
    {
        var d = new TheoryData<string, int, int>();
        foreach (var scenario in new[] { "lazy-exit", "lazy-borrowers", "threads-exit" })
        {
            foreach (var vcpus in new[] { 3, 4 })
            {
                foreach (var seed in new[] { 1, 2, 3 })
                {
                    d.Add(scenario, vcpus, seed);
                }
            }
        }

        return d;
    }

    /// <summary>
    /// For every state s of the walk and every renaming π of the group: canonical(π(s)) = canonical(s), and the
    /// canonical fingerprints of the successors of π(s) are, as a multiset, those of the successors of s (each
    /// successor t of s renamed, π(t), is a successor of π(s)).
    /// </summary>
    [Theory]
    [MemberData(nameof(WalksToCheck))]
    public void EveryRenamingOfTheGroupCommutesWithTheMoves(string scenario, int vcpus, int seed)
    {
        var m = SymmetryWalks.Model(scenario, vcpus);
        var group = m.Symmetry!;
        Assert.NotEmpty(group.NonIdentity);
        var walk = SymmetryWalks.Walk(m, seed, 150);
        var checkedStates = 0;
        for (var i = 0; i <= walk.Count; i++)
        {
            if (i % 3 == 0 || i == walk.Count)
            {
                var here = m.Snapshot();
                var own = m.Fingerprint();
                var successors = Successors(m, here);
                foreach (var p in group.NonIdentity)
                {
                    m.Restore(here);
                    m.Machine.PermuteVcpus(p);
                    var renamed = m.Snapshot();
                    Assert.Equal(own, m.Fingerprint());
                    Assert.Equal(successors, Successors(m, renamed));
                    m.Restore(here);
                }

                checkedStates++;
            }

            if (i < walk.Count)
            {
                m.Apply(walk[i]);
            }
        }

        Assert.True(checkedStates > 5, $"only {checkedStates} states checked");
    }

    /// <summary>
    /// The exact form of the same: for each move c of s, the renamed successor π(c(s)) equals, in full (every field
    /// the snapshot holds, after the flush times are normalized), the successor of π(s) by the renamed move.
    /// </summary>
    [Theory]
    [MemberData(nameof(WalksToCheck))]
    public void TheRenamedMoveReachesTheRenamedSuccessor(string scenario, int vcpus, int seed)
    {
        var m = SymmetryWalks.Model(scenario, vcpus);
        var walk = SymmetryWalks.Walk(m, seed, 150);
        foreach (var c in walk.Take(walk.Count))
        {
            var here = m.Snapshot();
            foreach (var p in m.Symmetry!.NonIdentity)
            {
                m.Restore(here);
                foreach (var move in m.Enabled().ToArray())
                {
                    // π(move(s)), normalized.
                    m.Restore(here);
                    m.Apply(move);
                    m.Machine.PermuteVcpus(p);
                    m.Machine.K.Xen.NormalizeFlushTimes();
                    var expected = StateDump.Of(m.Machine.Snapshot(events: false));

                    // π(move)(π(s)), normalized.
                    m.Restore(here);
                    var renamedMove = m.Machine.Renamed(move, p);
                    m.Machine.PermuteVcpus(p);
                    Assert.Contains(renamedMove, m.Enabled().ToArray());
                    m.Apply(renamedMove);
                    m.Machine.K.Xen.NormalizeFlushTimes();
                    Assert.Equal(expected, StateDump.Of(m.Machine.Snapshot(events: false)));
                }
            }

            m.Restore(here);
            m.Apply(c);
        }
    }

    /// <summary>The sorted canonical fingerprints of every successor of the state <paramref name="at"/>.</summary>
    private static List<ulong> Successors(MachineModel m, ModelSnapshot at)
    {
        m.Restore(at);
        var moves = m.Enabled().ToArray();
        var fps = new List<ulong>();
        foreach (var c in moves)
        {
            m.Restore(at);
            m.Apply(c);
            fps.Add(m.Fingerprint());
        }

        m.Restore(at);
        fps.Sort();
        return fps;
    }
}
