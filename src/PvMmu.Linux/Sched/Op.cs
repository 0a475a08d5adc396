namespace PvMmu.Linux.Sched;

/// <summary>One operation of a vCPU's program: a kind, the process it concerns, and an argument.</summary>
public readonly record struct Op(OpKind Kind, int Process = 0, int Arg = 0)
{
    public override string ToString() => Kind switch
    {
        OpKind.Kthread => "kthread",
        OpKind.Signal => $"signal {Arg}",
        OpKind.Wait => $"wait {Arg}",
        OpKind.Touch => $"touch P{Process} {Arg}",
        OpKind.Fork => $"fork P{Process} -> P{Arg}",
        OpKind.Exec => $"exec P{Process} {Arg}",
        OpKind.ExecImage => $"exec P{Process} image {Arg}",
        OpKind.CowWrite => $"cow_write P{Process} range {Arg}",
        OpKind.Munmap => $"munmap P{Process} range {Arg}",
        OpKind.Mmap => $"mmap P{Process} range {Arg}",
        OpKind.TouchRange => $"touch P{Process} range {Arg}",
        OpKind.CloneThread => $"clone_thread P{Process}",
        OpKind.Mprotect => $"mprotect P{Process} range {Arg}",
        OpKind.Sleep => "sleep",
        OpKind.Vmap => $"vmap {Arg}",
        OpKind.Compute => $"compute P{Process} image {Arg}",
        OpKind.Schedule => Process >= 0 ? $"schedule freely (kthread, P{Process}, halt)" : "schedule freely (kthread, halt)",
        _ => $"{Kind.ToString().ToLowerInvariant()} P{Process}",
    };
}
