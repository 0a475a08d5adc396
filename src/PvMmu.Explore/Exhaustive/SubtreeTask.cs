using PvMmu.Scheduling;

namespace PvMmu.Explore.Exhaustive;

/// <summary>
/// One subtree of a parallel exhaustive search: the moves from the start that reach its root, and what the search
/// carries into it (sleep set, preemptions used, the vCPU that moved last).
/// </summary>
internal sealed record SubtreeTask(Move[] Prefix, ulong Sleep, int Used, int Last);
