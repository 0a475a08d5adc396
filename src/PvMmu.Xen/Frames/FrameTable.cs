namespace PvMmu.Xen.Frames;

/// <summary>
/// Xen's frame table (struct page_info, xen/arch/x86/include/asm/mm.h), as structure-of-arrays: 22 bytes a frame.
/// Owners are domain indices (see <see cref="Domains"/>); <c>-1</c> in <see cref="TableIndex"/> means the frame
/// has no stored contents (all entries read as zero).
/// </summary>
public sealed class FrameTable
{
    /// <summary>Bytes of state per frame: the sum of the element sizes of the arrays below.</summary>
    public const int BytesPerFrame = sizeof(uint) + sizeof(uint) + sizeof(byte) + sizeof(byte) + sizeof(short) + sizeof(ushort) + sizeof(uint) + sizeof(int);

    /// <summary>count_info &amp; PGC_count_mask: general references, the allocation's one included.</summary>
    public readonly uint[] GeneralCount;

    /// <summary>type_info &amp; PGT_count_mask.</summary>
    public readonly uint[] TypeCount;

    /// <summary>type_info &amp; PGT_type_mask.</summary>
    public readonly PageType[] Type;

    public readonly FrameFlags[] Flags;

    /// <summary>linear_pt_count: &gt;0 same-level entries held, &lt;0 same-level tables pointing here (XSA-240).</summary>
    public readonly short[] LinearPtCount;

    /// <summary>The owning domain's index; 0 when free.</summary>
    public readonly ushort[] Owner;

    /// <summary>tlbflush_timestamp: the TLB clock when the frame was last released.</summary>
    public readonly uint[] TlbStamp;

    /// <summary>Index of the frame's contents in the <see cref="PageTablePool"/>, or -1.</summary>
    public readonly int[] TableIndex;

    public FrameTable(int frames)
    {
        GeneralCount = new uint[frames];
        TypeCount = new uint[frames];
        Type = new PageType[frames];
        Flags = new FrameFlags[frames];
        LinearPtCount = new short[frames];
        Owner = new ushort[frames];
        TlbStamp = new uint[frames];
        TableIndex = new int[frames];
        Array.Fill(TableIndex, -1);
        Array.Fill(Flags, FrameFlags.Free);
    }

    public int Count => GeneralCount.Length;

    public bool IsValid(uint mfn) => mfn < (uint)GeneralCount.Length;

    /// <summary>A frame number no table reaches (a .NET array holds fewer than 2^31 elements): mfn_valid is false for it.</summary>
    public const uint NoFrame = uint.MaxValue;

    /// <summary>
    /// A frame number Xen reads as a full unsigned long (an MFN of 40 bits, a machine address's 52 bits shifted, a
    /// xen_pfn_t argument) narrowed to the model's index: itself when it fits, else <see cref="NoFrame"/>. Xen's
    /// mfn_valid fails on such a number exactly as on any MFN past the end of RAM, so the model must not truncate it
    /// (which would alias frame n with 2^32 + n).
    /// </summary>
    public static uint Narrow(ulong mfn) => mfn < NoFrame ? (uint)mfn : NoFrame;

    public bool Has(uint mfn, FrameFlags flag) => (Flags[mfn] & flag) != 0;

    public void Set(uint mfn, FrameFlags flag) => Flags[mfn] |= flag;

    public void Clear(uint mfn, FrameFlags flag) => Flags[mfn] &= ~flag;

    /// <summary>Whether the frame is a page table (L1–L4) in use: typed as one with a type count above 0.</summary>
    public bool IsPageTableInUse(uint mfn) => Type[mfn] is >= PageType.L1 and <= PageType.L4 && TypeCount[mfn] > 0;
}
