namespace PvMmu.Linux.Accounting;

/// <summary>The <see cref="Branch"/> names as a search prints them, and their one-line meanings.</summary>
public static class Branches
{
    /// <summary>Every branch, in enum order.</summary>
    public static IReadOnlyList<Branch> All { get; } = Enum.GetValues<Branch>();

    /// <summary>The name of <paramref name="b"/>: the real function, a colon, the branch.</summary>
    public static string Name(Branch b) => b switch
    {
        Branch.XenDropMmRefIpi => "xen_drop_mm_ref:ipi",
        Branch.DropMmRefThisCpuLeaveMm => "drop_mm_ref_this_cpu:leave_mm",
        Branch.DropOtherMmRefLeaveMm => "drop_other_mm_ref:leave_mm",
        Branch.DropOtherMmRefLoadCr3 => "drop_other_mm_ref:load_cr3",
        Branch.DropOtherMmRefXenMcFlush => "drop_other_mm_ref:xen_mc_flush",
        Branch.IpiQueuedMulticalls => "ipi:queued_multicalls",
        Branch.ExitMmapLazyBorrowers2 => "exit_mmap:lazy_borrowers_2",
        Branch.PgdFreePinned => "pgd_free:pinned",
        Branch.IpiWokeHaltedCpu => "ipi:woke_halted_cpu",
        Branch.IpiBeforeFinishTaskSwitch => "ipi:before_finish_task_switch",
        Branch.XenExitMmapUnpin => "xen_exit_mmap:unpin",
        _ => b.ToString(),
    };

    /// <summary>What taking <paramref name="b"/> means, in one line.</summary>
    public static string Meaning(Branch b) => b switch
    {
        Branch.XenDropMmRefIpi => "an exit sent an IPI to a vCPU still holding the dying mm",
        Branch.DropMmRefThisCpuLeaveMm => "a vCPU left the dying mm (leave_mm) in drop_mm_ref_this_cpu",
        Branch.DropOtherMmRefLeaveMm => "4.11's handler left a lazily held mm",
        Branch.DropOtherMmRefLoadCr3 => "4.11's second branch: xen_current_cr3 still named the pgd after leave_mm",
        Branch.DropOtherMmRefXenMcFlush => "4.13's second branch: xen_current_cr3 still named the pgd, xen_mc_flush",
        Branch.IpiQueuedMulticalls => "an IPI handler ran while its vCPU had multicalls queued",
        Branch.ExitMmapLazyBorrowers2 => "two or more other vCPUs lazily held the mm when exit_mmap began",
        Branch.PgdFreePinned => "a pgd was freed while still pinned",
        Branch.IpiWokeHaltedCpu => "an IPI woke a vCPU halted in SCHEDOP_block",
        Branch.IpiBeforeFinishTaskSwitch => "an IPI landed after a context switch's CR3 load, before its mmdrop",
        Branch.XenExitMmapUnpin => "xen_exit_mmap unpinned the dying mm's tables",
        _ => string.Empty,
    };

    /// <summary>The branch named <paramref name="name"/> (as <see cref="Name"/> prints it), or null.</summary>
    public static Branch? Find(string name)
    {
        foreach (var b in All)
        {
            if (string.Equals(Name(b), name, StringComparison.OrdinalIgnoreCase))
            {
                return b;
            }
        }

        return null;
    }

    /// <summary>Every branch name, comma-separated, for an error message.</summary>
    public static string Names => string.Join(", ", All.Select(Name));
}
