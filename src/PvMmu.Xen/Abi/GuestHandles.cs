namespace PvMmu.Xen.Abi;

/// <summary>
/// Guest pointers passed to hypercalls. For a 64-bit PV guest Xen accepts an address when it lies below the
/// non-canonical hole or at or above the end of Xen's reserved range (__addr_ok, asm/x86_64/uaccess.h).
/// The model copies arguments by value, so a pointer matters only for whether Xen may read through it.
/// </summary>
public static class GuestHandles
{
    /// <summary>HYPERVISOR_VIRT_START: L4 slot 256, the first of Xen's.</summary>
    public const ulong HypervisorVirtStart = 0xFFFF_8000_0000_0000UL;

    /// <summary>HYPERVISOR_VIRT_END: L4 slot 272, the first guest slot after Xen's.</summary>
    public const ulong HypervisorVirtEnd = 0xFFFF_8800_0000_0000UL;

    /// <summary>A pointer into the guest kernel's direct map, where Linux's per-CPU buffers live.</summary>
    public const ulong Valid = 0xFFFF_8880_0010_0000UL;

    /// <summary>A pointer inside Xen's own range: every copy through it faults.</summary>
    public const ulong Bad = 0xFFFF_8000_0000_1000UL;

    /// <summary>__addr_ok: canonical lower half, or above Xen's range.</summary>
    public static bool AddrOk(ulong va) => va < (1UL << 47) || va >= HypervisorVirtEnd;

    /// <summary>Whether Xen can copy <paramref name="bytes"/> from <paramref name="va"/> (array_access_ok, then a mapped page).</summary>
    public static bool CanCopy(ulong va, ulong bytes) =>
        va != 0 && AddrOk(va) && (bytes == 0 || AddrOk(va + bytes - 1)) && va + bytes >= va;

    /// <summary>
    /// How many elements of a list lie on pages Xen can read, when the whole list does: the default for every
    /// hypercall. Xen checks a list's address range once (guest_handle_okay, an address check only), then copies
    /// one element at a time (__copy_from_guest); a list that runs onto an unmapped page passes the first and
    /// fails the copy of the first element on that page with -EFAULT, after the elements before it took effect
    /// (do_mmu_update, do_mmuext_op, do_multicall). The model keeps no guest memory for hypercall arguments, so a
    /// caller says where the readable part ends.
    /// </summary>
    public const int AllCopyable = int.MaxValue;

    /// <summary>Whether a linear address is canonical (is_canonical_address).</summary>
    public static bool IsCanonical(ulong va) => va < (1UL << 47) || va >= 0xFFFF_8000_0000_0000UL;
}
