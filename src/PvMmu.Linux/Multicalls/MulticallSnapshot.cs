using PvMmu.Xen.Abi;

namespace PvMmu.Linux.Multicalls;

/// <summary>
/// A saved copy of <see cref="MulticallBuffers"/> holding only what is queued (each CPU's entries, requests and
/// callbacks up to its counts), for <see cref="MulticallBuffers.Restore"/>. Slots past the counts are never read
/// before they are written, so they need no saving; between scheduler moves the buffers are mostly empty.
/// </summary>
public sealed class MulticallSnapshot
{
    internal MulticallSnapshot(int cpus)
    {
        Mcidx = new int[cpus];
        Argidx = new int[cpus];
        Cbidx = new int[cpus];
        MmuUsed = new int[cpus];
        ExtUsed = new int[cpus];
    }

    internal int[] Mcidx { get; }

    internal int[] Argidx { get; }

    internal int[] Cbidx { get; }

    internal int[] MmuUsed { get; }

    internal int[] ExtUsed { get; }

    /// <summary>
    /// Every CPU's queued entries, one CPU after another (so too the arrays below), as many as the counts above add
    /// up to; an array may be longer.
    /// </summary>
    internal MulticallEntry[] Entries { get; set; } = [];

    internal MmuUpdateRequest[] Mmu { get; set; } = [];

    internal MmuExtOpRequest[] Ext { get; set; } = [];

    internal CallbackKind[] CbKind { get; set; } = [];

    internal ulong[] CbData { get; set; } = [];

    /// <summary>The WARN log: its first <see cref="WarningCount"/> items.</summary>
    internal McWarning[] Warnings { get; set; } = [];

    internal int WarningCount { get; set; }
}
