namespace PvMmu.Scheduling;

/// <summary>
/// Decides, at each state <see cref="RunLoop"/> reaches, which move comes next, and when the run ends. A strategy
/// that searches a tree of schedules (the exhaustive search) may first put the model back to an earlier state it
/// saved; the others (<see cref="IScheduler"/>, <see cref="ReplayStrategy"/>) go straight on from where it is.
/// </summary>
public interface ISchedulingStrategy
{
    /// <summary>The move to make from the state <paramref name="model"/> is in; false to end the run.</summary>
    bool TryNext(ISchedulable model, out Move move);
}
