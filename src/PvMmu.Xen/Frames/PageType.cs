namespace PvMmu.Xen.Frames;

/// <summary>A frame's type, PGT_type_mask of type_info (xen/arch/x86/include/asm/mm.h), with Xen's values.</summary>
public enum PageType : byte
{
    None = 0,
    L1 = 1,
    L2 = 2,
    L3 = 3,
    L4 = 4,
    SegDesc = 5,
    Shared = 6,
    Writable = 7,
}
