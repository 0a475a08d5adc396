namespace PvMmu.Scheduling;

/// <summary>Always the first enabled move: one fixed schedule, for measuring how long a scenario's schedules are.</summary>
public sealed class FirstEnabledScheduler : IScheduler
{
    public int Choose(ReadOnlySpan<Move> enabled) => 0;
}
