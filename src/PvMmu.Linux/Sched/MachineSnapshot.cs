using PvMmu.Linux.Exit;

namespace PvMmu.Linux.Sched;

/// <summary>A saved copy of a <see cref="Machine"/>'s state, for <see cref="Machine.Restore"/>.</summary>
public sealed class MachineSnapshot
{
    internal MachineSnapshot(KernelSnapshot kernel, int[] ints, ulong[] masks, bool[] bools, IpiHandler[] pendingHandler, uint[][] gather, int historyLength)
    {
        Kernel = kernel;
        Ints = ints;
        Masks = masks;
        Bools = bools;
        PendingHandler = pendingHandler;
        Gather = gather;
        GatherCount = [.. gather.Select(g => g.Length)];
        HistoryLength = historyLength;
    }

    internal KernelSnapshot Kernel { get; set; }

    internal int[] Ints { get; }

    internal ulong[] Masks { get; }

    internal bool[] Bools { get; }

    internal IpiHandler[] PendingHandler { get; }

    /// <summary>Each vCPU's mmu_gather batch: its first <see cref="GatherCount"/> items (the arrays only grow).</summary>
    internal uint[][] Gather { get; }

    internal int[] GatherCount { get; } = [];

    internal int HistoryLength { get; set; }
}
