namespace PvMmu.Scheduling;

/// <summary>
/// The one loop that drives a model move by move, as Coyote's scheduler drives a test: at each state the strategy
/// names the next move (or ends the run), the observer sees it before and after, the model applies it. Every user of
/// a model runs through it: the workload runner (a seeded random scheduler), the scenario setups (round robin), the
/// random walk and PCT, the exhaustive search (a strategy that backtracks by restoring snapshots), the schedule check
/// behind shrinking and the replayer (<see cref="ReplayStrategy"/>, a schedule read from a file).
/// </summary>
public static class RunLoop
{
    /// <summary>
    /// Runs <paramref name="model"/> under <paramref name="strategy"/> until the strategy or
    /// <paramref name="observer"/> ends it or <paramref name="maxMoves"/> moves are made; says why it ended and how
    /// many moves it made.
    /// </summary>
    public static RunEnd Run(ISchedulable model, ISchedulingStrategy strategy, IRunObserver? observer, out long moves, long maxMoves = long.MaxValue)
    {
        moves = 0;
        while (true)
        {
            if (moves >= maxMoves)
            {
                return RunEnd.MoveCap;
            }

            if (!strategy.TryNext(model, out var move))
            {
                return model.Done ? RunEnd.Done : model.Enabled().Length == 0 ? RunEnd.Deadlock : RunEnd.Stopped;
            }

            observer?.BeforeMove(move);
            model.Apply(move);
            moves++;
            if (observer != null && !observer.AfterMove(move))
            {
                return RunEnd.Stopped;
            }
        }
    }

    /// <inheritdoc cref="Run(ISchedulable, ISchedulingStrategy, IRunObserver?, out long, long)"/>
    public static RunEnd Run(ISchedulable model, ISchedulingStrategy strategy, IRunObserver? observer = null, long maxMoves = long.MaxValue) =>
        Run(model, strategy, observer, out _, maxMoves);
}
