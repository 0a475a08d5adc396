using PvMmu.Linux.Sched;

namespace PvMmu.Explore;

/// <summary>What an exploration covered, and the first violation it found (with the schedule that reaches it).</summary>
public sealed record ExplorationResult(long States, long DistinctStates, int MaxDepth, bool Exhausted, string? Violation, IReadOnlyList<Choice> Counterexample);
