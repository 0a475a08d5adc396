namespace PvMmu.Xen.Abi;

/// <summary>The command in the low three bits of mmu_update_t.ptr (public/xen.h MMU_*).</summary>
public enum MmuUpdateCommand : uint
{
    NormalPtUpdate = 0,
    MachphysUpdate = 1,
    PtUpdatePreserveAd = 2,
    PtUpdateNoTranslate = 3,
}
