using PvMmu.Xen.Frames;

namespace PvMmu.Xen.Types;

/// <summary>What one pass of _get_page_type's loop read of a frame's type_info, on its way to <see cref="Wanted"/>.</summary>
public readonly record struct TypeInfoRead(uint Mfn, PageType Wanted, PageType Type, uint Count, bool Validated)
{
    /// <summary>In use as another type: the call fails with -EINVAL at once, without a cmpxchg.</summary>
    public bool Conflict => Count > 0 && Type != Wanted;
}
