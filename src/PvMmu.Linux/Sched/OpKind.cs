using PvMmu.Linux.Mm;

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

    /// <summary>
    /// The process execs a program of Arg stack pages: a new mm is built, pinned and switched to, and the old one
    /// dropped (one step; the old mm's exit_mmap, if this was its last user, runs its IPIs on the spot).
    /// </summary>
    Exec,

    /// <summary>Set flag Arg, for ordering across vCPUs.</summary>
    Signal,

    /// <summary>Wait until flag Arg is set.</summary>
    Wait,

    /// <summary>The process execs program image Arg of the machine's <see cref="Machine.Images"/> (one step).</summary>
    ExecImage,

    /// <summary>
    /// The vCPU schedules freely, again and again: each time the scheduler picks a context switch to a kernel thread
    /// (alternative 0), to the user task of process <see cref="Op.Process"/> (1; none when it is negative), or to the
    /// idle task, which then blocks in SCHEDOP_block (2), ending the program. State matching, not a length, bounds it.
    /// </summary>
    Schedule,

    /// <summary>
    /// The process computes: program image Arg's user-mode work and its kernel work the model does not otherwise count
    /// (<see cref="ProcessImage.UserMicros"/>, <see cref="ProcessImage.KernelMicros"/>), as counts of native µs (one step).
    /// </summary>
    Compute,
}
