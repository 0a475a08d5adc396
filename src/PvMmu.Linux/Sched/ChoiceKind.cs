namespace PvMmu.Linux.Sched;

/// <summary>What the scheduler can let happen next.</summary>
public enum ChoiceKind : byte
{
    /// <summary>The vCPU advances its program by one step.</summary>
    Step,

    /// <summary>The vCPU takes a pending IPI (it has interrupts enabled).</summary>
    TakeIpi,
}
