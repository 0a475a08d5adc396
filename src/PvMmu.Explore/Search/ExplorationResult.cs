using PvMmu.Scheduling;

namespace PvMmu.Explore.Search;

/// <summary>What an exploration covered, and the first violation it found (with the schedule that reaches it).</summary>
public sealed record ExplorationResult(long States, long DistinctStates, int MaxDepth, bool Exhausted, string? Violation, IReadOnlyList<Move> Counterexample)
{
    /// <summary>For a sampling strategy, how many schedules it ran (the last one may have stopped at a violation).</summary>
    public long Schedules { get; init; }

    /// <summary>The time limit stopped the search before it covered what it was asked to.</summary>
    public bool TimedOut { get; init; }

    /// <summary>
    /// The exhaustive search stopped at its state cap (<see cref="MaxStates"/>) before it covered what it was asked
    /// to. With more than one thread, which states it had reached by then depends on the threads' timing.
    /// </summary>
    public bool StateCapped { get; init; }

    /// <summary>For the exhaustive search: the most states it would visit.</summary>
    public long MaxStates { get; init; }

    /// <summary>For the exhaustive search: how many distinct end states (once settled) it reached.</summary>
    public long EndStates { get; init; }

    /// <summary>For the exhaustive search: the preemption bound it kept to, or null for none.</summary>
    public int? PreemptionBound { get; init; }

    /// <summary>The preemption bound left out some schedule: without it, more could be reachable.</summary>
    public bool PreemptionBoundCut { get; init; }

    /// <summary>The exhaustive search used sleep sets (partial-order reduction).</summary>
    public bool SleepSets { get; init; }

    /// <summary>Moves the sleep sets spared (at first visits): moves not taken because an equivalent order was.</summary>
    public long Slept { get; init; }

    /// <summary>
    /// How many threads the exhaustive search ran on. With more than one, <see cref="States"/>, <see cref="Slept"/>
    /// and <see cref="MaxDepth"/> depend on the threads' timing; the verdict and the state counts do not.
    /// </summary>
    public int Threads { get; init; } = 1;

    /// <summary>
    /// Coverage, for the exhaustive search: per named branch of the model (<see cref="Models.IExplorable.BranchNames"/>),
    /// how many explored moves took it. With more than one thread the counts depend on the threads' timing; whether
    /// a branch was reached does not.
    /// </summary>
    public IReadOnlyList<(string Branch, long Moves)> Coverage { get; init; } = [];

    /// <summary>With threads: how many subtrees a busy thread handed to an idle one (timing-dependent).</summary>
    public int Subtrees { get; init; }

    /// <summary>For the exhaustive search: the memory its visited set holds (slots mapped, used or not), in bytes.</summary>
    public long VisitedBytes { get; init; }

    /// <summary>
    /// For the exhaustive search: how many bits of a state's fingerprint its visited set tells states apart by. Two
    /// distinct states with the same bits are taken for one, and what only the second leads to goes unexplored.
    /// </summary>
    public int FingerprintBits { get; init; } = 64;

    /// <summary>
    /// The chance that some two of the <see cref="DistinctStates"/> share a fingerprint and were merged, as TLC
    /// prints it: the birthday bound 1 − exp(−n(n−1)/2^(b+1)) for n states and b-bit fingerprints, which holds if the
    /// fingerprints of distinct states fall uniformly (an estimate, not a bound: a hash with structure could do worse).
    /// </summary>
    public double FingerprintCollisionProbability
    {
        get
        {
            var n = (double)DistinctStates;
            var x = n * (n - 1) / Math.Pow(2, FingerprintBits + 1);

            // 1 − e^−x loses every digit to rounding for the tiny x of most searches: there it is x − x²/2.
            return x < 1e-4 ? x - (x * x / 2) : 1 - Math.Exp(-x);
        }
    }
}
