namespace PvMmu.Linux.Sched;

/// <summary>One enabled move: a vCPU and what it does.</summary>
public readonly record struct Choice(int Cpu, ChoiceKind Kind)
{
    public override string ToString() => Kind == ChoiceKind.Step ? $"v{Cpu} step" : $"v{Cpu} ipi";
}
