namespace PvMmu.Xen.Frames;

/// <summary>The one-bit state of a frame (PGC_allocated, PGT_validated, PGT_pinned, PGT_partial; free state).</summary>
[Flags]
public enum FrameFlags : byte
{
    None = 0,

    /// <summary>PGC_allocated: the owner still has the frame; stands for one general reference.</summary>
    Allocated = 1 << 0,

    /// <summary>PGT_validated: the contents were checked for the current type and their references are held.</summary>
    Validated = 1 << 1,

    /// <summary>PGT_pinned: the guest pinned the frame to its type.</summary>
    Pinned = 1 << 2,

    /// <summary>PGT_partial. The model makes every (de)validation atomic, so no frame is left partial between operations.</summary>
    Partial = 1 << 3,

    /// <summary>PGC_state_free: the frame is in Xen's heap, owned by nobody.</summary>
    Free = 1 << 4,
}
