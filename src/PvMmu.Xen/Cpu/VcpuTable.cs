namespace PvMmu.Xen.Cpu;

/// <summary>
/// Per-vCPU hypervisor state (struct vcpu / arch_vcpu): the kernel and user base pointers with the references
/// they hold, the guest's privilege mode, where its state is loaded, and a put deferred to the next hypercall
/// entry (old_guest_table). Frame 0 is Xen's, so 0 means "no table", as in Xen's pagetable_null.
/// </summary>
public sealed class VcpuTable
{
    public readonly uint[] GuestTable;
    public readonly uint[] GuestTableUser;
    public readonly bool[] KernelMode;

    /// <summary>Initialised and loaded on its pCPU (v->dirty_cpu set); false: VCPU_CPU_CLEAN.</summary>
    public readonly bool[] Online;

    /// <summary>old_guest_table: a type and general reference whose put was deferred, or 0.</summary>
    public readonly uint[] OldGuestTable;

    /// <summary>old_guest_ptpg: the table whose entry held <see cref="OldGuestTable"/>.</summary>
    public readonly uint[] OldGuestPtpg;

    /// <summary>tlbflush_time of the vCPU's pCPU: the clock value of its last full flush.</summary>
    public readonly uint[] TlbFlushTime;

    public VcpuTable(int vcpus)
    {
        GuestTable = new uint[vcpus];
        GuestTableUser = new uint[vcpus];
        KernelMode = new bool[vcpus];
        Online = new bool[vcpus];
        OldGuestTable = new uint[vcpus];
        OldGuestPtpg = new uint[vcpus];
        TlbFlushTime = new uint[vcpus];
        Array.Fill(KernelMode, true);
    }

    public int Count => GuestTable.Length;

    /// <summary>The table the vCPU's MMU walks now: the kernel one in kernel mode, else the user one.</summary>
    public uint CurrentTable(int v) => KernelMode[v] ? GuestTable[v] : GuestTableUser[v];
}
