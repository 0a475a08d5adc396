namespace PvMmu.Linux.Sched;

/// <summary>What a vCPU's program asks its kernel to do next.</summary>
public enum OpKind : byte
{
    /// <summary>Context switch to the process: start (lazy CPU mode, IRQs off, CR3 queued), end (batch issued).</summary>
    Run,

    /// <summary>Context switch to a kernel thread, which keeps the current mm lazily (mmgrab, enter_lazy_tlb).</summary>
    Kthread,

    /// <summary>The running process faults in Arg more pages of its first mapping, one page per step.</summary>
    Touch,

    /// <summary>The process exits here: exit_mm, then, for the last user, exit_mmap step by step.</summary>
    Exit,

    /// <summary>The process forks; the child becomes process Arg (one step).</summary>
    Fork,

    /// <summary>Set flag Arg, for ordering across vCPUs.</summary>
    Signal,

    /// <summary>Wait until flag Arg is set.</summary>
    Wait,
}
