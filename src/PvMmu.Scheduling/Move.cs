namespace PvMmu.Scheduling;

/// <summary>
/// One enabled move of a model: a vCPU, what it does, and for a step that offers several (the guest's schedule step:
/// switch to a kernel thread, to a user task, or halt) which one. Every other step is alternative 0.
/// </summary>
public readonly record struct Move(int Cpu, MoveKind Kind, byte Alt = 0)
{
    /// <summary>The most alternatives one step offers.</summary>
    public const int MaxAlternatives = 3;

    public override string ToString() => Kind == MoveKind.TakeIpi ? $"v{Cpu} ipi" : Alt == 0 ? $"v{Cpu} step" : $"v{Cpu} step/{Alt}";
}
