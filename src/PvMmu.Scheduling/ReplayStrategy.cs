namespace PvMmu.Scheduling;

/// <summary>
/// A schedule given in advance (a replay file's, or a candidate of the shrinker's): its moves in order, the run ending
/// after the last one, or at the first move that is not enabled where it comes (<see cref="NotPossibleAt"/>).
/// </summary>
public sealed class ReplayStrategy(IReadOnlyList<Move> schedule) : ISchedulingStrategy
{
    private int _next;

    /// <summary>The index of the move that was not enabled where it came, or −1.</summary>
    public int NotPossibleAt { get; private set; } = -1;

    public bool TryNext(ISchedulable model, out Move move)
    {
        move = default;
        if (_next >= schedule.Count)
        {
            return false;
        }

        move = schedule[_next];
        if (!model.Enabled().Contains(move))
        {
            NotPossibleAt = _next;
            return false;
        }

        _next++;
        return true;
    }
}
