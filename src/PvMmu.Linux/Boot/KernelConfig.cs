using PvMmu.Xen;

namespace PvMmu.Linux.Boot;

/// <summary>The size of a booted guest: vCPUs, memory, and the Xen rules it runs on.</summary>
public sealed record KernelConfig
{
    public int Vcpus { get; init; } = 2;

    /// <summary>The guest's frames (its memory), including the ones boot uses for init_mm's tables.</summary>
    public int Frames { get; init; } = 4096;

    /// <summary>
    /// mm_structs the guest can hold at once, init_mm's included (the model's table of them; Linux allocates them
    /// from a slab without a fixed bound). A workload sizes it from its process slots (<c>WorkloadSpec.MmsNeeded</c>).
    /// </summary>
    public int Mms { get; init; } = 64;

    public XenVersion Xen { get; init; } = XenVersion.Current;

    /// <summary>What the kernel runs on (<see cref="Boot.Platform"/>): a Xen PV guest unless told otherwise.</summary>
    public Platform Platform { get; init; } = Platform.XenPv;

    /// <summary>USE_SPLIT_PTE_PTLOCKS: true on every SMP config with NR_CPUS ≥ 4 (the default), so L1s are pinned one by one.</summary>
    public bool SplitPteLocks { get; init; } = true;
}
