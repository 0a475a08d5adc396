namespace PvMmu.Linux.Multicalls;

/// <summary>The functions Linux queues with <c>xen_mc_callback</c>, as data so that the buffer can be snapshotted.</summary>
public enum CallbackKind : byte
{
    /// <summary>set_current_cr3 (mmu_pv.c): xen_current_cr3 = the CR3 value, once the batch is issued.</summary>
    SetCurrentCr3,

    /// <summary>xen_pte_unlock (mmu_pv.c): release a split PTE lock taken while pinning or unpinning.</summary>
    PteUnlock,
}
