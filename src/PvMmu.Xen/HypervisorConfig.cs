namespace PvMmu.Xen;

/// <summary>
/// The size of a model: vCPUs and frames by owner. Frame numbers run Xen's (frame 0 first), the guest's, the other
/// guest's, the free ones, then DOMID_IO's; any number past those is not RAM (MMIO to Xen).
/// </summary>
public sealed record HypervisorConfig
{
    public int Vcpus { get; init; } = 2;

    /// <summary>Frames owned by Xen itself (DOMID_XEN). Frame 0 is one of them, so MFN 0 means "none".</summary>
    public int XenFrames { get; init; } = 4;

    /// <summary>Frames owned by the guest whose vCPUs run (domid 1).</summary>
    public int GuestFrames { get; init; } = 64;

    /// <summary>Frames owned by another guest (domid 2).</summary>
    public int OtherFrames { get; init; } = 4;

    /// <summary>Frames left in Xen's free heap, for populate_physmap.</summary>
    public int FreeFrames { get; init; } = 4;

    /// <summary>
    /// Frames owned by DOMID_IO: RAM-backed I/O pages (arch_init_memory gives the holes between RAM regions and
    /// the legacy VGA range to dom_io), which an unprivileged guest may not map (-EPERM).
    /// </summary>
    public int IoFrames { get; init; }

    public XenVersion Version { get; init; } = XenVersion.Current;

    /// <summary>Rules other than a release's (e.g. <see cref="XenRules.PreXsa401"/>); null means <see cref="XenRules.For"/> the version.</summary>
    public XenRules? Rules { get; init; }

    /// <summary>
    /// The guest is a 32-bit PAE PV domain (is_pv_32bit_domain, set by XEN_DOMCTL_set_address_size before its vCPUs
    /// exist): each vCPU gets a compat L4 from Xen's frames (setup_compat_l4, so XenFrames must exceed Vcpus) whose
    /// slot 0 new_guest_cr3 points at the guest's top-level L3. Only as far as the xsa-286 scenario needs
    /// (docs/model.md "32-bit PV guests"); the other domain stays 64-bit.
    /// </summary>
    public bool Pv32 { get; init; }

    /// <summary>TLB entries per vCPU.</summary>
    public int TlbEntries { get; init; } = 64;

    /// <summary>VMASST_TYPE_writable_pagetables for the guest (Linux turns it on at boot).</summary>
    public bool WritablePagetables { get; init; } = true;

    /// <summary>
    /// No hypervisor: the model is the bare machine a native kernel runs on (pv_ops native_*), for the guest model's
    /// native platform. The kernel runs in ring 0, so a walk needs no U bit on its own mappings; a write that the
    /// tables forbid is a plain page fault (no ptwr emulation); CR3 loads and TLB flushes are the CPU's own
    /// (<see cref="Hypervisor.BareLoadCr3"/> and the other Bare* operations), with no type or reference counting.
    /// None of Xen's rules apply, and a guest of this mode makes no hypercall.
    /// </summary>
    public bool BareMetal { get; init; }

    public int TotalFrames => XenFrames + GuestFrames + OtherFrames + FreeFrames + IoFrames;

    public uint FirstGuestFrame => (uint)XenFrames;

    public uint FirstOtherFrame => (uint)(XenFrames + GuestFrames);

    public uint FirstFreeFrame => (uint)(XenFrames + GuestFrames + OtherFrames);

    public uint FirstIoFrame => (uint)(XenFrames + GuestFrames + OtherFrames + FreeFrames);
}
