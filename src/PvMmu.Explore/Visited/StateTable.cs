namespace PvMmu.Explore.Visited;

/// <summary>
/// The exhaustive search's visited states, shared by its threads: 64-bit keys to a 64-bit value, in shards that each
/// take a lock of their own, so that threads rarely wait on each other. An entry costs no allocation (no node per entry, as a
/// ConcurrentDictionary would) and, once the table outgrows the caches, one cache miss (<see cref="StateShard"/>).
/// The value is what the search needs to decide whether a state reached again must be expanded again: a sleep set,
/// or the fewest preemptions it was reached with.
/// <para>
/// Sized for the keys it expects: once a search outgrows a few thousand keys a shard, every shard moves into its part
/// of one block sized for all of them (<see cref="SlotBlock"/>, on huge pages where the system offers them), so that
/// a search up to its state cap never grows the table again.
/// </para>
/// </summary>
internal sealed unsafe class StateTable
{
    /// <summary>Below this many slots a shard grows on its own; a search this small never takes the presized block.</summary>
    internal const int PresizedFrom = 4096;

    private const int Shards = 64;

    /// <summary>
    /// Past this many expected keys (a block of 128 MiB) the block is not sized further, and shards that outgrow it
    /// grow on their own again: every page of a block ends up touched, and zeroed by the system, however few states
    /// a search turns out to have, so a block sized for a cap far above them costs more than growing (512 MiB for a
    /// cap of 10 M took 0.8 s more than 128 MiB for a search of 3.4 M states).
    /// </summary>
    private const long MaxPresizedKeys = 4_000_000;

    private readonly StateShard[] _shards = new StateShard[Shards];
    private readonly Lock _blockLock = new();
    private readonly int _presizedSlots;
    private SlotBlock _block;
    private bool _allocated;

    /// <summary>A table expecting up to <paramref name="expectedKeys"/> keys (0: grow as needed).</summary>
    public StateTable(long expectedKeys = 0)
    {
        for (var i = 0; i < Shards; i++)
        {
            _shards[i] = StateShard.Create();
        }

        // A shard's share, with room for eight standard deviations of how fingerprints fall, at most half full.
        var perShard = Math.Min(expectedKeys, MaxPresizedKeys) / Shards;
        var wanted = 2 * (perShard + (8 * (long)Math.Sqrt(perShard)) + 64);
        _presizedSlots = (int)Math.Min(1L << 30, (long)System.Numerics.BitOperations.RoundUpToPowerOf2((ulong)wanted));
    }

    ~StateTable()
    {
        for (var i = 0; i < Shards; i++)
        {
            _shards[i].Free();
        }

        if (_allocated)
        {
            _block.Free();
            GC.RemoveMemoryPressure(BlockBytes);
        }
    }

    /// <summary>The size of the presized block (mapped only once a shard outgrows <see cref="PresizedFrom"/>).</summary>
    internal long BlockBytes => 2L * sizeof(ulong) * _presizedSlots * Shards;

    /// <summary>How many slots each shard has in the presized block.</summary>
    internal int PresizedSlots => _presizedSlots;

    public long Count
    {
        get
        {
            long n = 0;
            for (var i = 0; i < Shards; i++)
            {
                ref var s = ref _shards[i];
                s.Enter();
                n += s.Count;
                s.Exit();
            }

            return n;
        }
    }

    /// <summary>
    /// The memory the table holds: the presized block, once mapped (all of it, used or not), and the slots of every
    /// shard outside it; 16 bytes a slot.
    /// </summary>
    public long Bytes
    {
        get
        {
            long bytes = _allocated ? BlockBytes : 0;
            for (var i = 0; i < Shards; i++)
            {
                ref var s = ref _shards[i];
                s.Enter();
                if (s.OwnsSlots)
                {
                    bytes += 2L * sizeof(ulong) * s.Capacity;
                }

                s.Exit();
            }

            return bytes;
        }
    }

    /// <summary>Starts fetching <paramref name="key"/>'s slot from memory (<see cref="StateShard.Prefetch"/>).</summary>
    public void Prefetch(ulong key) => _shards[Index(key)].Prefetch(key);

    /// <summary>Adds <paramref name="key"/>; true if it was not there.</summary>
    public bool Add(ulong key)
    {
        var i = Index(key);
        ref var s = ref _shards[i];
        s.Enter();
        try
        {
            s.GetValueRefOrAdd(key, out var existed, this, i);
            return !existed;
        }
        finally
        {
            s.Exit();
        }
    }

    /// <summary>
    /// Godefroid's sleep sets with a state cache: a state first reached with sleep set Z is expanded for every enabled
    /// move outside Z, and Z is stored. Reached again with Z', only the moves asleep before and awake now (Z \ Z')
    /// remain to be explored, with Z ∩ Z' as their sleep set, which is then stored.
    /// </summary>
    public void ClaimSleep(ulong fp, ulong sleep, ulong enabled, out bool isNew, out ulong explore, out ulong working)
    {
        sleep &= enabled;
        var i = Index(fp);
        ref var s = ref _shards[i];
        s.Enter();
        try
        {
            ref var stored = ref s.GetValueRefOrAdd(fp, out var existed, this, i);
            if (existed)
            {
                isNew = false;
                explore = stored & ~sleep;
                working = stored & sleep;
                if (explore != 0)
                {
                    stored = working;
                }

                return;
            }

            stored = sleep;
        }
        finally
        {
            s.Exit();
        }

        isNew = true;
        explore = enabled & ~sleep;
        working = sleep;
    }

    /// <summary>
    /// Context bounding: a state (with the vCPU that moved last) is expanded again only when reached with fewer
    /// preemptions than every time before, since from there every schedule the earlier visits could take is open.
    /// </summary>
    public bool ClaimBudget(ulong key, int used)
    {
        var i = Index(key);
        ref var s = ref _shards[i];
        s.Enter();
        try
        {
            ref var stored = ref s.GetValueRefOrAdd(key, out var existed, this, i);
            if (existed && (int)stored <= used)
            {
                return false;
            }

            stored = (ulong)used;
            return true;
        }
        finally
        {
            s.Exit();
        }
    }

    /// <summary>Whether <paramref name="key"/> was last claimed with exactly <paramref name="used"/> preemptions.</summary>
    public bool HasBudget(ulong key, int used)
    {
        ref var s = ref _shards[Index(key)];
        s.Enter();
        try
        {
            return s.TryGetValue(key, out var stored) && (int)stored == used;
        }
        finally
        {
            s.Exit();
        }
    }

    public HashSet<ulong> Keys()
    {
        var all = new HashSet<ulong>();
        for (var i = 0; i < Shards; i++)
        {
            ref var s = ref _shards[i];
            s.Enter();
            try
            {
                s.CopyKeysTo(all);
            }
            finally
            {
                s.Exit();
            }
        }

        return all;
    }

    /// <summary>How many slots shard <paramref name="shard"/> has now.</summary>
    internal int ShardCapacity(int shard) => _shards[shard].Capacity;

    /// <summary>
    /// Shard <paramref name="shard"/>'s part of the presized block, if <paramref name="wanted"/> slots are past
    /// <see cref="PresizedFrom"/> and within it; the block is mapped at the first such call.
    /// </summary>
    internal bool TryPresized(int shard, int wanted, out ulong* slots, out int capacity)
    {
        slots = null;
        capacity = 0;
        if (wanted < PresizedFrom || wanted > _presizedSlots)
        {
            return false;
        }

        lock (_blockLock)
        {
            if (!_allocated)
            {
                _block = SlotBlock.Allocate(BlockBytes);
                _allocated = true;
                GC.AddMemoryPressure(BlockBytes);
            }
        }

        slots = _block.Slots + (2L * shard * _presizedSlots);
        capacity = _presizedSlots;
        return true;
    }

    // Fingerprints are hashes already: the top bits pick the shard, the low bits the slot in it.
    private static int Index(ulong key) => (int)(key >> 58);
}
