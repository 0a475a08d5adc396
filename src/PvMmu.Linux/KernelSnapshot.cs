using PvMmu.Linux.Accounting;
using PvMmu.Linux.Mm;
using PvMmu.Linux.Multicalls;
using PvMmu.Xen;

namespace PvMmu.Linux;

/// <summary>
/// A saved copy of a <see cref="Kernel"/>'s state and of its hypervisor's: the kernel's arrays, the free list up to
/// its top, the mm rows ever used and only what the multicall buffers hold queued.
/// </summary>
public sealed class KernelSnapshot
{
    internal KernelSnapshot(HypervisorSnapshot xen) => Xen = xen;

    internal HypervisorSnapshot Xen { get; }

    internal uint[] XenCr3 { get; init; } = [];

    internal uint[] XenCurrentCr3 { get; init; } = [];

    internal Multicalls.LazyMode[] Lazy { get; init; } = [];

    internal bool[] InInterrupt { get; init; } = [];

    internal bool[] PagePinned { get; init; } = [];

    internal uint[] UserPgdOf { get; init; } = [];

    internal bool[] PteLocked { get; init; } = [];

    internal int[] PageRefs { get; init; } = [];

    internal int[] LoadedMm { get; init; } = [];

    internal bool[] IsLazyTlb { get; init; } = [];

    /// <summary>The free list up to its top.</summary>
    internal uint[] Free { get; init; } = [];

    internal uint SwapperPgd { get; init; }

    internal uint VsyscallL3 { get; init; }

    internal long DirectHypercalls { get; init; }

    internal long IpisSent { get; init; }

    internal GuestEventCounters Counts { get; init; } = null!;

    internal MmTable Mms { get; init; } = null!;

    internal MulticallSnapshot Mc { get; init; } = null!;

    internal string[] Oopses { get; init; } = [];
}
