namespace PvMmu.Linux.Mm;

/// <summary>x86-64 4-level address layout as a Xen PV Linux guest uses it.</summary>
public static class Layout
{
    /// <summary>PAGE_OFFSET: the direct map, L4 slot 273 (0xffff888000000000).</summary>
    public const ulong PageOffset = 0xFFFF_8880_0000_0000UL;

    /// <summary>VMALLOC_START with 4-level paging and no KASLR: L4 slot 402 (0xffffc90000000000).</summary>
    public const ulong VmallocStart = 0xFFFF_C900_0000_0000UL;

    /// <summary>USER_LIMIT for the pin walk: the user half, L4 slots 0–255.</summary>
    public const int UserPgdSlots = 256;

    /// <summary>The L4 slot of the vsyscall page (VSYSCALL_ADDR 0xffffffffff600000), mapped in every user pgd.</summary>
    public const int VsyscallPgdSlot = 511;

    public static int PgdIndex(ulong va) => (int)((va >> 39) & 511);

    public static int PudIndex(ulong va) => (int)((va >> 30) & 511);

    public static int PmdIndex(ulong va) => (int)((va >> 21) & 511);

    public static int PteIndex(ulong va) => (int)((va >> 12) & 511);

    /// <summary>
    /// The end of the PTE page's span (pmd_addr_end) that <paramref name="va"/> lies in, or <paramref name="end"/> if
    /// that comes first.
    /// </summary>
    public static ulong PmdAddrEnd(ulong va, ulong end) => Math.Min(end, (va | 0x1F_FFFFUL) + 1);

    /// <summary>
    /// Slice <paramref name="index"/> of [start, end) as a walk over it visits them (one per PTE page, the first from
    /// start to its PTE page's end): its [va, sliceEnd); false when the range has fewer slices.
    /// </summary>
    public static bool RangeSlice(ulong start, ulong end, int index, out ulong va, out ulong sliceEnd)
    {
        va = index == 0 ? start : ((start | 0x1F_FFFFUL) + 1) + ((ulong)(index - 1) << 21);
        sliceEnd = va < end ? PmdAddrEnd(va, end) : 0;
        return va < end;
    }
}
