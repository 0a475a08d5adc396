namespace PvMmu.Linux.Exit;

/// <summary>A strategy file's code used its whole <see cref="StrategyBudget"/> in one call: it loops forever, or nearly.</summary>
public sealed class StrategyBudgetExceededException : Exception
{
    public StrategyBudgetExceededException()
        : base($"did not return within {StrategyBudget.Steps:N0} loop iterations and calls (a loop that never ends?)")
    {
    }
}
