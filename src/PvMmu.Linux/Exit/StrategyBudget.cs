using System.Runtime.CompilerServices;

namespace PvMmu.Linux.Exit;

/// <summary>
/// The step budget of a strategy file's code. The compiler of strategy files puts a call to <see cref="Tick"/> at the
/// top of every loop body and label, and one to <see cref="Enter"/> at the top of every method, so that a loop that
/// never ends or a recursion that never returns stops with <see cref="StrategyBudgetExceededException"/> instead of
/// hanging the tool or overflowing its stack. <see cref="FileStrategy"/> refills it before each call into the file.
/// Per thread: the explorer's threads run the same strategy at once.
/// </summary>
public static class StrategyBudget
{
    /// <summary>Loop iterations and calls one call into a strategy may take: far beyond any walk over 64 CPUs.</summary>
    public const long Steps = 10_000_000;

    [ThreadStatic]
    private static long _left;

    /// <summary>One loop iteration (or a jump back to a label) of the strategy's code.</summary>
    public static void Tick()
    {
        if (--_left < 0)
        {
            throw new StrategyBudgetExceededException();
        }
    }

    /// <summary>A call of one of the strategy's methods: a step, and the stack checked before it overflows.</summary>
    public static void Enter()
    {
        Tick();
        RuntimeHelpers.EnsureSufficientExecutionStack();
    }

    internal static void Refill() => _left = Steps;
}
