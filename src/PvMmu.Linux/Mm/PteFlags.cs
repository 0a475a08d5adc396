using PvMmu.Xen.Abi;

namespace PvMmu.Linux.Mm;

/// <summary>
/// The protections Linux writes, with _PAGE_GLOBAL masked out as a Xen PV guest does
/// (__supported_pte_mask, enlighten_pv.c).
/// </summary>
public static class PteFlags
{
    /// <summary>PAGE_KERNEL: present, writable, accessed, dirty, no-execute.</summary>
    public const ulong PageKernel = PageFlags.Present | PageFlags.Rw | PageFlags.Accessed | PageFlags.Dirty | PageFlags.Nx;

    /// <summary>PAGE_KERNEL_RO: PAGE_KERNEL without RW.</summary>
    public const ulong PageKernelRo = PageKernel & ~PageFlags.Rw;

    /// <summary>_PAGE_TABLE: what an upper-level entry pointing at a user table carries.</summary>
    public const ulong PageTable = PageFlags.Present | PageFlags.Rw | PageFlags.User | PageFlags.Accessed | PageFlags.Dirty;

    /// <summary>_KERNPG_TABLE: an upper-level entry of the kernel's own tables.</summary>
    public const ulong KernPgTable = PageFlags.Present | PageFlags.Rw | PageFlags.Accessed | PageFlags.Dirty;

    /// <summary>PAGE_SHARED for an anonymous writable user page after a write fault.</summary>
    public const ulong UserRw = PageFlags.Present | PageFlags.Rw | PageFlags.User | PageFlags.Accessed | PageFlags.Dirty | PageFlags.Nx;

    /// <summary>PAGE_READONLY: a private file page mapped by a read fault.</summary>
    public const ulong UserRo = PageFlags.Present | PageFlags.User | PageFlags.Accessed | PageFlags.Nx;
}
