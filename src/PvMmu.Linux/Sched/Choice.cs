namespace PvMmu.Linux.Sched;

/// <summary>
/// One enabled move: a vCPU, what it does, and for a step that offers several (a <see cref="OpKind.Schedule"/>:
/// switch to a kernel thread, to a user task, or halt) which one. Every other step is alternative 0.
/// </summary>
public readonly record struct Choice(int Cpu, ChoiceKind Kind, byte Alt = 0)
{
    /// <summary>The most alternatives one step offers.</summary>
    public const int MaxAlternatives = 3;

    public override string ToString() => Kind == ChoiceKind.TakeIpi ? $"v{Cpu} ipi" : Alt == 0 ? $"v{Cpu} step" : $"v{Cpu} step/{Alt}";
}
