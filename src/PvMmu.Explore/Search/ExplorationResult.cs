using PvMmu.Linux.Sched;

namespace PvMmu.Explore.Search;

/// <summary>What an exploration covered, and the first violation it found (with the schedule that reaches it).</summary>
public sealed record ExplorationResult(long States, long DistinctStates, int MaxDepth, bool Exhausted, string? Violation, IReadOnlyList<Choice> Counterexample)
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
}
