namespace PvMmu.Scheduling;

/// <summary>What a vCPU can be let do next.</summary>
public enum MoveKind : byte
{
    /// <summary>The vCPU advances its program by one step.</summary>
    Step,

    /// <summary>The vCPU takes a pending IPI (it has interrupts enabled).</summary>
    TakeIpi,
}
