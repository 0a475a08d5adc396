namespace PvMmu.Sim.Validation;

/// <summary>How a compared count came out.</summary>
public static class ValidationVerdicts
{
    public const string Equal = "=";

    /// <summary>Off by no more than the real system's two boots differ for that phase and tracepoint.</summary>
    public const string Noise = "≈ noise";

    public const string Differs = "DIFFERS";

    /// <summary>
    /// Fork's PTE copies split into more mmu_update entries than the model's, the same PTEs in all: copy_pte_range
    /// breaks its batch when need_resched() is set (a timer tick in a long fork), and the model has no clock.
    /// </summary>
    public const string PreemptionSplit = "≈ split by need_resched";
}
