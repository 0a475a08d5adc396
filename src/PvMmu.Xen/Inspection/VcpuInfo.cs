namespace PvMmu.Xen.Inspection;

/// <summary>A vCPU's base pointers, mode and last full-flush time.</summary>
public readonly record struct VcpuInfo(int Id, uint GuestTable, uint GuestTableUser, bool KernelMode, bool Online, uint TlbFlushTime);
