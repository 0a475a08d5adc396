using PvMmu.Linux.Sched;

namespace PvMmu.Explore;

/// <summary>What an exploration covered, and the first violation it found (with the schedule that reaches it).</summary>
public sealed record ExplorationResult(long States, long DistinctStates, int MaxDepth, bool Exhausted, string? Violation, IReadOnlyList<Choice> Counterexample)
{
    /// <summary>For a sampling strategy, how many schedules it ran (the last one may have stopped at a violation).</summary>
    public long Schedules { get; init; }

    /// <summary>The time limit stopped the search before it covered what it was asked to.</summary>
    public bool TimedOut { get; init; }
}
