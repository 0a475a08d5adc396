namespace PvMmu.Sim.Validation;

/// <summary>How a compared count came out.</summary>
public static class ValidationVerdicts
{
    public const string Equal = "=";

    /// <summary>Off by no more than the real system's two boots differ for that phase and tracepoint.</summary>
    public const string Noise = "≈ noise";

    public const string Differs = "DIFFERS";

    /// <summary>
    /// Fork's PTE copies cut into mmu_update batches at other places than the model's, the same PTEs in all:
    /// copy_pte_range breaks its loop when need_resched() is set, and the model has no clock.
    /// </summary>
    public const string PreemptionSplit = "≈ split by need_resched";

    /// <summary>One copy-on-write fault of pvtest's own pages copies in this phase, the baseline's in another.</summary>
    public const string CowFaultMoved = "≈ own COW fault moved";

    /// <summary>
    /// Off by exactly what tasks other than the workload's own and the idle task did on that CPU in the phase's
    /// window (count.awk's per-CPU other-task counts: a kworker, the shell), named in the row's note.
    /// </summary>
    public const string OtherTasks = "≈ other tasks";
}
