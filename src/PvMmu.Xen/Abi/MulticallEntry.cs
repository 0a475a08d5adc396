namespace PvMmu.Xen.Abi;

/// <summary>
/// multicall_entry_t (public/xen.h): an op, its result and six argument words. For batched sub-calls
/// (mmu_update, mmuext_op) Args[0] is an index into the argument area passed with the multicall, as in
/// Linux's per-CPU multicall buffer (arch/x86/xen/multicalls.c), where it is a pointer into that area.
/// </summary>
public struct MulticallEntry
{
    public HypercallNumber Op;
    public long Result;
    public ulong Arg0;
    public ulong Arg1;
    public ulong Arg2;
    public ulong Arg3;
    public ulong Arg4;

    public static MulticallEntry MmuUpdate(int firstRequest, int count, uint foreignDom = DomainIds.Self) =>
        new() { Op = HypercallNumber.MmuUpdate, Arg0 = (ulong)firstRequest, Arg1 = (ulong)count, Arg3 = foreignDom };

    public static MulticallEntry MmuextOp(int firstOp, int count, uint foreignDom = DomainIds.Self) =>
        new() { Op = HypercallNumber.MmuextOp, Arg0 = (ulong)firstOp, Arg1 = (ulong)count, Arg3 = foreignDom };

    public static MulticallEntry UpdateVaMapping(ulong va, ulong val, ulong flags, ulong vcpuMask = 0) =>
        new() { Op = HypercallNumber.UpdateVaMapping, Arg0 = va, Arg1 = val, Arg2 = flags, Arg3 = vcpuMask };

    public static MulticallEntry Iret() => new() { Op = HypercallNumber.Iret };

    public static MulticallEntry XenVersion() => new() { Op = HypercallNumber.XenVersion };
}
