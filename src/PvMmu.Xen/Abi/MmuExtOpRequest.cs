namespace PvMmu.Xen.Abi;

/// <summary>
/// struct mmuext_op (public/xen.h): <c>Arg1</c> is an MFN or a linear address; <c>Arg2</c> a count, a source MFN
/// or a guest pointer to a vCPU bitmap. The model cannot follow guest pointers into data it does not keep, so a
/// bitmap's contents travel beside the pointer in <see cref="VcpuMask"/>: Xen reads them only when
/// <c>Arg2</c> is an address a guest may pass (see <see cref="GuestHandles"/>), and fails with the code it
/// gives for a fault otherwise.
/// </summary>
public readonly record struct MmuExtOpRequest(MmuExtOp Cmd, ulong Arg1, ulong Arg2 = 0, ulong VcpuMask = 0)
{
    public static MmuExtOpRequest Pin(int level, uint mfn) =>
        new(level switch
        {
            1 => MmuExtOp.PinL1Table,
            2 => MmuExtOp.PinL2Table,
            3 => MmuExtOp.PinL3Table,
            4 => MmuExtOp.PinL4Table,
            _ => throw new ArgumentOutOfRangeException(nameof(level)),
        }, mfn);

    public static MmuExtOpRequest Unpin(uint mfn) => new(MmuExtOp.UnpinTable, mfn);

    public static MmuExtOpRequest NewBaseptr(uint mfn) => new(MmuExtOp.NewBaseptr, mfn);

    public static MmuExtOpRequest NewUserBaseptr(uint mfn) => new(MmuExtOp.NewUserBaseptr, mfn);

    /// <summary>TLB_FLUSH_MULTI with a valid bitmap pointer holding <paramref name="mask"/>.</summary>
    public static MmuExtOpRequest FlushMulti(ulong mask) => new(MmuExtOp.TlbFlushMulti, 0, GuestHandles.Valid, mask);

    /// <summary>INVLPG_MULTI of one address with a valid bitmap pointer holding <paramref name="mask"/>.</summary>
    public static MmuExtOpRequest InvlpgMulti(ulong va, ulong mask) => new(MmuExtOp.InvlpgMulti, va, GuestHandles.Valid, mask);
}
