namespace PvMmu.Scheduling;

/// <summary>
/// A strategy that picks one of the enabled moves at each state and ends the run when every program is done or no
/// move is enabled. Deterministic for a given seed; no threads, no clock.
/// </summary>
public interface IScheduler : ISchedulingStrategy
{
    /// <summary>The index in <paramref name="enabled"/> (never empty) of the move to make.</summary>
    int Choose(ReadOnlySpan<Move> enabled);

    bool ISchedulingStrategy.TryNext(ISchedulable model, out Move move)
    {
        move = default;
        if (model.Done)
        {
            return false;
        }

        var enabled = model.Enabled();
        if (enabled.Length == 0)
        {
            return false;
        }

        move = enabled[Choose(enabled)];
        return true;
    }
}
