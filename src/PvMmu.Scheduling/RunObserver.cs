namespace PvMmu.Scheduling;

/// <summary>An <see cref="IRunObserver"/> made of two functions, for a caller whose work around a move is a few lines.</summary>
public sealed class RunObserver(Action<Move>? before, Func<Move, bool>? after) : IRunObserver
{
    public void BeforeMove(Move move) => before?.Invoke(move);

    public bool AfterMove(Move move) => after?.Invoke(move) ?? true;
}
