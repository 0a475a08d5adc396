namespace PvMmu.Explore.Visited;

/// <summary>
/// The blocks of every shard of a <see cref="SleepTable"/> at one capacity, side by side in one mapping
/// (<see cref="SlotBlock"/>, offered huge pages): shard i's block is the i-th run of <see cref="Capacity"/> slots. The
/// shards grow by one rule from one size, so they all pass through the same capacities, each once, at about the same
/// time (fingerprints fall evenly): one arena per capacity, taken by the first shard to reach it. A shard's block of a
/// few hundred kilobytes is too small to be a huge page of its own (2 MiB), and in 4 KiB pages a table of millions of
/// states probed at random misses the TLB at almost every lookup; side by side, 256 of them are. A shard that grows
/// out of its block gives the block's memory back at once (<see cref="SlotBlock.Discard"/>); the mapping goes when
/// the last one has.
/// </summary>
internal sealed unsafe class SlotArena
{
    private readonly SlotBlock _block;
    private int _live;

    public SlotArena(int shards, int capacity)
    {
        Capacity = capacity;
        _block = SlotBlock.Allocate((long)shards * capacity * sizeof(ulong));
        _live = shards;
    }

    /// <summary>The slots of each shard's block.</summary>
    public int Capacity { get; }

    /// <summary>Shard <paramref name="shard"/>'s block: zeroed, as the mapping was made.</summary>
    public ulong* BlockOf(int shard) => _block.Slots + ((long)shard * Capacity);

    /// <summary>Shard <paramref name="shard"/> has left its block: its memory goes back; true once every shard's has (the arena is then freed).</summary>
    public bool Release(int shard)
    {
        if (--_live == 0)
        {
            _block.Free();
            return true;
        }

        SlotBlock.Discard(BlockOf(shard), (long)Capacity * sizeof(ulong));
        return false;
    }

    /// <summary>Frees the mapping whatever the shards hold (the table is gone).</summary>
    public void Free() => _block.Free();
}
