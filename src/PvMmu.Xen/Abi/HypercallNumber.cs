namespace PvMmu.Xen.Abi;

/// <summary>Hypercall numbers (xen/include/public/xen.h, __HYPERVISOR_*), the ones a PV MMU model meets.</summary>
public enum HypercallNumber : uint
{
    MmuUpdate = 1,
    MemoryOp = 12,
    Multicall = 13,
    UpdateVaMapping = 14,
    XenVersion = 17,
    UpdateVaMappingOtherdomain = 22,
    Iret = 23,
    VcpuOp = 24,
    MmuextOp = 26,
}
