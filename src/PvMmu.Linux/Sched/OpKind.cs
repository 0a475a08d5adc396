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

    /// <summary>
    /// The process forks; the child becomes process Arg: dup_mmap's start, then per PTE page of the parent its
    /// copy_pte_range (in lazy MMU mode) and its arch_leave_lazy_mmu_mode, then the child's pin and flush_tlb_mm.
    /// </summary>
    Fork,

    /// <summary>
    /// The process execs a program of Arg stack pages: a new mm is built (a step per PTE page of faults), pinned and
    /// switched to, and the old one dropped (for its last user, exit_mmap step by step, as an exit's).
    /// </summary>
    Exec,

    /// <summary>Set flag Arg, for ordering across vCPUs.</summary>
    Signal,

    /// <summary>Wait until flag Arg is set.</summary>
    Wait,

    /// <summary>The process execs program image Arg of the machine's <see cref="Machine.Images"/> (as <see cref="Exec"/>, then a step per PTE page of the regions' faults).</summary>
    ExecImage,

    /// <summary>
    /// The vCPU schedules freely, again and again: each time the scheduler picks a context switch to a kernel thread
    /// (alternative 0), to the user task of process <see cref="Op.Process"/> (1; none when it is negative), or to the
    /// idle task, which then blocks in SCHEDOP_block (2), ending the program. State matching, not a length, bounds it.
    /// </summary>
    Schedule,

    /// <summary>
    /// The process writes Arg's range (<see cref="Machine.Ranges"/>) of a private anonymous mapping, one page per step:
    /// a page still shared after fork is copied (do_wp_page → wp_page_copy), one no longer shared reused.
    /// </summary>
    CowWrite,

    /// <summary>
    /// munmap of range Arg (do_vmi_munmap → unmap_region): the VMA detached, then one zap_pte_range slice (a PTE page)
    /// per step, then free_pgtables and tlb_finish_mmu.
    /// </summary>
    Munmap,

    /// <summary>mmap of range Arg, anonymous or of a file of <see cref="Machine.Files"/> (mmap_region: a VMA, no tables; one step).</summary>
    Mmap,

    /// <summary>The running process faults in range Arg, one page per step (an anonymous write, or a file fault).</summary>
    TouchRange,

    /// <summary>A new thread of the process (clone with CLONE_VM: copy_mm → mmget, mm_users + 1; one step).</summary>
    CloneThread,

    /// <summary>
    /// mprotect of range Arg (change_protection → change_pte_range in lazy MMU mode, one PTE page per step, each PTE
    /// through xen_ptep_modify_prot_commit), then flush_tlb_range if a PTE changed.
    /// </summary>
    Mprotect,

    /// <summary>
    /// The vCPU goes idle for a while: a context switch to the idle task (which borrows the mm lazily), the halt in
    /// SCHEDOP_block, and the wake-up (a step of its own); the program then goes on.
    /// </summary>
    Sleep,

    /// <summary>
    /// The kernel thread running here (borrowing the loaded mm lazily) maps Arg pages into the vmalloc area and unmaps
    /// them again: vmap_pfn → apply_to_page_range(&amp;init_mm) with set_pte_at queued in lazy MMU mode, interrupts on,
    /// then arch_leave_lazy_mmu_mode, then vunmap's ptep_get_and_clear.
    /// </summary>
    Vmap,

    /// <summary>
    /// The process computes: program image Arg's user-mode work and its kernel work the model does not otherwise count
    /// (<see cref="ProcessImage.UserMicros"/>, <see cref="ProcessImage.KernelMicros"/>), as counts of native µs (one step).
    /// </summary>
    Compute,
}
