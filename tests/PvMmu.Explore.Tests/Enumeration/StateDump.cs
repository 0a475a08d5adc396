using PvMmu.Scheduling;

namespace PvMmu.Explore.Tests.Enumeration;

/// <summary>
/// The whole of a model's state as bytes (<see cref="StateBytes"/>, PvMmu.Scheduling's public dump, which reads
/// every field the snapshot reaches), for an enumerator that compares states in full instead of by the explorer's
/// fingerprint, less the fields named in <see cref="NotState"/>, each with the reason it decides no next step. A
/// field the model's own declaration forgets therefore shows here as more states than the explorer counts.
/// </summary>
internal static class StateDump
{
    /// <summary>
    /// Fields that are bookkeeping, not state: tallies of what happened (they only ever grow, and no step reads
    /// them), logs of WARNs and oopses (reported, never read back by a step), and caches of hashes with the version
    /// numbers that say whether they are current (derived from the state itself); and the page-table pool's store of
    /// pages with its handles into it, which say which copy of a page a pool holds (shared with other snapshots or
    /// not), not what the page holds: the pool's pages themselves are dumped entry by entry.
    /// </summary>
    private static readonly string[] NotState =
    [
        "Counts", "Counters", "Events", "DirectHypercalls", "IpisSent", "Oopses", "Warnings", "WarningCount",
        "HistoryLength", "Generation", "Gen", "PageGen", "FramesGeneration", "FramesHashGeneration", "PinsHash", "RefsHash", "Hash",
        "Store", "Handles",
    ];

    public static byte[] Of(object snapshot) => StateBytes.Of(snapshot, NotState);
}
