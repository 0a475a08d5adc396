namespace PvMmu.Linux.Mm;

/// <summary>enum pt_level (mmu_pv.c): which table a walk callback is looking at.</summary>
public enum PtLevel : byte
{
    Pgd,
    Pud,
    Pmd,
    Pte,
}
