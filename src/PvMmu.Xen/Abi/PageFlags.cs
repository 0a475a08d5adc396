namespace PvMmu.Xen.Abi;

/// <summary>
/// x86-64 page-table entry bits as Xen sees them (xen/arch/x86/include/asm/page.h and
/// asm/x86_64/page.h). Xen's own flag words fold PTE bits 52–63 into bits 12–23; here every
/// constant is the bit's position in the 64-bit entry itself.
/// </summary>
public static class PageFlags
{
    public const ulong Present = 1UL << 0;
    public const ulong Rw = 1UL << 1;
    public const ulong User = 1UL << 2;
    public const ulong Pwt = 1UL << 3;
    public const ulong Pcd = 1UL << 4;
    public const ulong Accessed = 1UL << 5;
    public const ulong Dirty = 1UL << 6;

    /// <summary>PSE in an L2/L3 entry; PAT in an L1 entry.</summary>
    public const ulong Pse = 1UL << 7;

    /// <summary>PAT in an L1 entry (the same bit as PSE).</summary>
    public const ulong Pat = 1UL << 7;

    public const ulong Global = 1UL << 8;

    /// <summary>Bits 9–11, free for the guest.</summary>
    public const ulong Avail = 0x7UL << 9;

    /// <summary>Bits 52–62, free for the guest (Xen's _PAGE_AVAIL_HIGH).</summary>
    public const ulong AvailHigh = 0x7FFUL << 52;

    /// <summary>Xen's mark on a 64-bit PV guest's kernel mappings: PTE bit 52 (x86_64/page.h, 1U&lt;&lt;12 in flag form).</summary>
    public const ulong GuestKernel = 1UL << 52;

    /// <summary>_PAGE_GNTTAB, PTE bit 62. Only debug builds of Xen reserve it; release builds treat it as AVAIL_HIGH.</summary>
    public const ulong GntTab = 1UL << 62;

    public const ulong Nx = 1UL << 63;

    /// <summary>
    /// __PAGE_HYPERVISOR_RW (asm/x86_64/page.h): P, RW, A, D and NX (_PAGE_NX is the bit on a CPU with NX, which
    /// every x86-64 CPU Xen 4.17 runs on has). Xen writes its own slots with it, the L4 self-linear slot among them
    /// (init_xen_l4_slots).
    /// </summary>
    public const ulong HypervisorRw = Present | Rw | Accessed | Dirty | Nx;

    /// <summary>The frame number field of an entry: bits 12–51.</summary>
    public const ulong AddressMask = 0x000F_FFFF_FFFF_F000UL;

    /// <summary>Every flag bit: the entry minus its address.</summary>
    public const ulong FlagMask = ~AddressMask;

    /// <summary>PWT, PCD and the L1 PAT bit: the cache attributes (PAGE_CACHE_ATTRS).</summary>
    public const ulong CacheAttributes = Pwt | Pcd | Pat;

    /// <summary>
    /// base_disallow_mask (arch_init_memory): everything but P, RW, U, A, D, AVAIL, AVAIL_HIGH and NX.
    /// Within the flag bits that leaves PWT, PCD, PSE/PAT and G.
    /// </summary>
    public const ulong BaseDisallowMask = FlagMask & ~(Present | Rw | User | Accessed | Dirty | Avail | AvailHigh | Nx);

    /// <summary>
    /// FASTPATH_FLAG_WHITELIST (mm.c): the bits a mod_lN_entry may change without revalidation.
    /// RW is not in it: linear page tables are compiled in (XSA-182).
    /// </summary>
    public const ulong FastPathWhitelist = Nx | AvailHigh | Avail | Global | Dirty | Accessed | User;

    /// <summary>PADDR_BITS (asm/x86_64/config.h): x86-64 Xen's machine addresses are 52 bits, its MFNs 40.</summary>
    public const int PaddrBits = 52;

    /// <summary>INVALID_MFN as get_page_from_l1e tests it: PADDR_MASK &gt;&gt; PAGE_SHIFT, every bit of the MFN field set.</summary>
    public const ulong InvalidMfn = (1UL << (PaddrBits - 12)) - 1;

    public static ulong Entry(uint mfn, ulong flags) => ((ulong)mfn << 12) | flags;

    /// <summary>An entry naming any 40-bit frame number (bits above are dropped, as l1e_from_pfn does).</summary>
    public static ulong Entry(ulong mfn, ulong flags) => ((mfn << 12) & AddressMask) | flags;

    /// <summary>The entry's frame number as Xen reads it: all 40 bits of the address field.</summary>
    public static ulong FrameNumber(ulong entry) => (entry & AddressMask) >> 12;

    /// <summary>
    /// The entry's frame as an index into the model's frame table: <see cref="FrameNumber"/>, or
    /// <see cref="Frames.FrameTable.NoFrame"/> (never valid) when it is beyond any table the model can hold, so that
    /// MFN 2^32 + n never aliases frame n.
    /// </summary>
    public static uint Mfn(ulong entry) => Frames.FrameTable.Narrow(FrameNumber(entry));

    public static bool IsPresent(ulong entry) => (entry & Present) != 0;

    /// <summary>Formats an entry as "mfn:N P RW ..." for traces and script output.</summary>
    public static string Format(ulong entry)
    {
        if (entry == 0)
        {
            return "0";
        }

        var sb = new System.Text.StringBuilder();
        sb.Append("mfn:").Append(FrameNumber(entry).ToString(System.Globalization.CultureInfo.InvariantCulture));
        AppendFlag(sb, entry, Present, "P");
        AppendFlag(sb, entry, Rw, "RW");
        AppendFlag(sb, entry, User, "U");
        AppendFlag(sb, entry, Pwt, "PWT");
        AppendFlag(sb, entry, Pcd, "PCD");
        AppendFlag(sb, entry, Accessed, "A");
        AppendFlag(sb, entry, Dirty, "D");
        AppendFlag(sb, entry, Pse, "PSE");
        AppendFlag(sb, entry, Global, "G");
        AppendFlag(sb, entry, GuestKernel, "GK");
        AppendFlag(sb, entry, GntTab, "GNTTAB");
        AppendFlag(sb, entry, Nx, "NX");
        var other = entry & FlagMask & ~(Present | Rw | User | Pwt | Pcd | Accessed | Dirty | Pse | Global | GuestKernel | GntTab | Nx);
        if (other != 0)
        {
            sb.Append(" +0x").Append(other.ToString("x", System.Globalization.CultureInfo.InvariantCulture));
        }

        return sb.ToString();
    }

    private static void AppendFlag(System.Text.StringBuilder sb, ulong entry, ulong bit, string name)
    {
        if ((entry & bit) != 0)
        {
            sb.Append(' ').Append(name);
        }
    }
}
