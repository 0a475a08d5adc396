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

    internal HypervisorSnapshot Xen { get; set; }

    internal uint[] XenCr3 { get; set; } = [];

    internal uint[] XenCurrentCr3 { get; set; } = [];

    internal Multicalls.LazyMode[] Lazy { get; set; } = [];

    internal bool[] InInterrupt { get; set; } = [];

    internal bool[] PagePinned { get; set; } = [];

    internal uint[] UserPgdOf { get; set; } = [];

    internal bool[] PteLocked { get; set; } = [];

    internal int[] PageRefs { get; set; } = [];

    internal int[] LoadedMm { get; set; } = [];

    internal bool[] IsLazyTlb { get; set; } = [];

    /// <summary>The free list: its first <see cref="FreeTop"/> slots (the rest are left over from a reused snapshot).</summary>
    internal uint[] Free { get; set; } = [];

    internal int FreeTop { get; set; }

    /// <summary>The kernel's per-frame version these arrays and the free list were copied at (0: never).</summary>
    internal ulong FramesGeneration { get; set; }

    /// <summary>The kernel's cached hashes of its per-frame arrays, and the version they are of.</summary>
    internal ulong FramesHashGeneration { get; set; }

    internal ulong PinsHash { get; set; }

    internal ulong RefsHash { get; set; }

    internal uint SwapperPgd { get; set; }

    internal uint VsyscallL3 { get; set; }

    internal MmTable Mms { get; set; } = null!;

    internal MulticallSnapshot Mc { get; set; } = null!;

    internal string[] Oopses { get; set; } = [];
}
