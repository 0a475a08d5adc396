namespace PvMmu.Xen.Abi;

/// <summary>
/// mmu_update_t (public/xen.h): <c>Ptr</c> is the machine address of the entry with the command in its low
/// three bits; <c>Val</c> the new entry (or, for MMU_MACHPHYS_UPDATE, the new pseudo-physical frame).
/// </summary>
public readonly record struct MmuUpdateRequest(ulong Ptr, ulong Val)
{
    /// <summary>A NORMAL_PT_UPDATE of slot <paramref name="slot"/> of table frame <paramref name="tableMfn"/>.</summary>
    public static MmuUpdateRequest Normal(uint tableMfn, int slot, ulong val) =>
        new(((ulong)tableMfn << 12) | ((ulong)slot << 3) | (ulong)MmuUpdateCommand.NormalPtUpdate, val);

    /// <summary>A PT_UPDATE_PRESERVE_AD of one slot.</summary>
    public static MmuUpdateRequest PreserveAd(uint tableMfn, int slot, ulong val) =>
        new(((ulong)tableMfn << 12) | ((ulong)slot << 3) | (ulong)MmuUpdateCommand.PtUpdatePreserveAd, val);

    /// <summary>An MMU_MACHPHYS_UPDATE: M2P[mfn] = gpfn.</summary>
    public static MmuUpdateRequest Machphys(uint mfn, ulong gpfn) =>
        new(((ulong)mfn << 12) | (ulong)MmuUpdateCommand.MachphysUpdate, gpfn);
}
