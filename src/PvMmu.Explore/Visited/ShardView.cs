namespace PvMmu.Explore.Visited;

/// <summary>
/// Where a <see cref="SleepShard"/>'s slots are and how many, as <see cref="SleepTable.Prefetch"/> reads them without
/// the shard's lock: written only when the shard grows, so that it stays in every core's cache (16 bytes, four shards
/// a cache line).
/// </summary>
internal readonly unsafe struct ShardView(ulong* slots, int capacity)
{
    public ulong* Slots { get; } = slots;

    public int Capacity { get; } = capacity;
}
