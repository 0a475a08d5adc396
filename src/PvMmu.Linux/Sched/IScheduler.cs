namespace PvMmu.Linux.Sched;

/// <summary>Picks the next move among the enabled ones. Deterministic for a given seed; no threads, no clock.</summary>
public interface IScheduler
{
    /// <summary>The index in <paramref name="enabled"/> of the move to make.</summary>
    int Choose(ReadOnlySpan<Choice> enabled);
}
