using PvMmu.Scheduling;

namespace PvMmu.Explore.Models;

/// <summary>
/// A scenario as the search strategies, the shrinker and the replayer see it: moves chosen among the enabled ones,
/// a state that can be snapshotted, restored and fingerprinted, and the properties checked after every move and at
/// the end. The guest scenarios (<see cref="MachineModel"/>) and the hypervisor-only race (<see cref="Xsa401Race"/>)
/// both are one, on equal terms: the interface knows moves (<see cref="Move"/>) and its own snapshots
/// (<see cref="ModelSnapshot"/>), nothing of the guest. <see cref="RunLoop"/> drives it (<see cref="ISchedulable"/>).
/// </summary>
public interface IExplorable : ISchedulable
{
    ulong Fingerprint();

    ModelSnapshot Snapshot();

    /// <summary>
    /// A <see cref="Snapshot"/> that may overwrite <paramref name="reuse"/> (an earlier snapshot of this model no longer
    /// needed, or null) instead of allocating a new one, for searches that take one per state. Returns the snapshot,
    /// which may or may not be <paramref name="reuse"/>; a model that cannot reuse just takes a fresh one.
    /// </summary>
    ModelSnapshot SnapshotInto(ModelSnapshot? reuse) => Snapshot();

    void Restore(ModelSnapshot snapshot);

    /// <summary>The invariants broken in the current state, or null.</summary>
    string? StateViolation();

    /// <summary>At an end state: what is wrong once everything has settled, or null; and the settled state's fingerprint.</summary>
    string? EndViolation(out ulong settled);

    /// <summary>What <paramref name="choice"/> would do now, for a timeline.</summary>
    string Describe(Move choice);

    /// <summary>
    /// The names of the model's branches (coverage), by bit: bit i of <see cref="TakeBranches"/> is
    /// <c>BranchNames[i]</c>. Empty for a model that names none.
    /// </summary>
    IReadOnlyList<string> BranchNames => [];

    /// <summary>The branches the moves since the last call took, one bit each (see <see cref="BranchNames"/>); cleared.</summary>
    ulong TakeBranches() => 0;

    /// <summary>
    /// Whether a state may have more moves per vCPU than an IPI and <see cref="Move.MaxAlternatives"/> steps (the
    /// unordered walks of <c>--symmetry on</c>): the exhaustive search then names a state's moves by their index, and
    /// the model must report no two moves <see cref="Independent"/> (sleep sets cannot name them across states).
    /// </summary>
    bool MovesByIndex => false;

    /// <summary>What the last move did (results, faults), for a timeline; empty if the model says nothing.</summary>
    string LastOutcome { get; }

    /// <summary>
    /// Whether the enabled moves <paramref name="a"/> and <paramref name="b"/> commute here: each leaves the other
    /// enabled and doing the same, so a·b and b·a reach the same state. Partial-order reduction relies on it, so it
    /// must be conservative; a model that cannot tell says false, and the search then explores every order.
    /// </summary>
    bool Independent(Move a, Move b) => false;

    /// <summary>
    /// <see cref="Independent"/> for every pair of <paramref name="enabled"/> at once: bit j of
    /// <paramref name="independentOf"/>[i] is set when moves i and j (i ≠ j) are independent. A model whose relation
    /// comes from a per-move property answers in one pass over the moves instead of one call per pair.
    /// </summary>
    void IndependentPairs(ReadOnlySpan<Move> enabled, Span<ulong> independentOf)
    {
        for (var i = 0; i < enabled.Length; i++)
        {
            ulong ind = 0;
            for (var j = 0; j < enabled.Length; j++)
            {
                if (j != i && Independent(enabled[j], enabled[i]))
                {
                    ind |= 1UL << j;
                }
            }

            independentOf[i] = ind;
        }
    }
}
