namespace PvMmu.Scheduling;

/// <summary>What a caller of <see cref="RunLoop"/> does around each move: record it, charge it, check the state after it.</summary>
public interface IRunObserver
{
    /// <summary>Before <paramref name="move"/> is applied (the model is still in the state it is chosen from).</summary>
    void BeforeMove(Move move);

    /// <summary>After <paramref name="move"/> was applied; false ends the run (a violation met, say).</summary>
    bool AfterMove(Move move);
}
