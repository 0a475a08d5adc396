using PvMmu.Xen.Frames;

namespace PvMmu.Xen.Inspection;

/// <summary>A frame's state as Xen's debug keys would show it. <c>Owner</c> is a numeric domid (0xFFFF when free).</summary>
public readonly record struct FrameInfo(uint Mfn, ushort Owner, uint GeneralCount, PageType Type, uint TypeCount, FrameFlags Flags, short LinearPtCount, uint TlbStamp)
{
    public bool Validated => (Flags & FrameFlags.Validated) != 0;

    public bool Pinned => (Flags & FrameFlags.Pinned) != 0;

    public bool Allocated => (Flags & FrameFlags.Allocated) != 0;

    public bool Free => (Flags & FrameFlags.Free) != 0;

    public override string ToString() =>
        $"mfn {Mfn}: owner {(Free ? "free" : "d" + Owner)} gc {GeneralCount} type {Type.ToString().ToLowerInvariant()} tc {TypeCount}" +
        (Validated ? " validated" : string.Empty) + (Pinned ? " pinned" : string.Empty) +
        (LinearPtCount != 0 ? $" linear {LinearPtCount}" : string.Empty);
}
