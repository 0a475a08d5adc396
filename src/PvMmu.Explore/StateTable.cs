namespace PvMmu.Explore;

/// <summary>
/// The exhaustive search's visited states, shared by its threads: 64-bit keys to a 64-bit value, in shards that each
/// take a lock, so that threads rarely wait on each other. An entry costs no allocation (no node per entry, as a
/// ConcurrentDictionary would) and, once the table outgrows the caches, one cache miss (<see cref="StateShard"/>).
/// The value is what the search needs to decide whether a state reached again must be expanded again: a sleep set,
/// or the fewest preemptions it was reached with.
/// </summary>
internal sealed class StateTable
{
    private const int Shards = 64;
    private readonly StateShard[] _shards = new StateShard[Shards];

    public StateTable()
    {
        for (var i = 0; i < Shards; i++)
        {
            _shards[i] = new StateShard();
        }
    }

    public long Count
    {
        get
        {
            long n = 0;
            foreach (var s in _shards)
            {
                lock (s)
                {
                    n += s.Count;
                }
            }

            return n;
        }
    }

    /// <summary>Starts fetching <paramref name="key"/>'s slot from memory (<see cref="StateShard.Prefetch"/>).</summary>
    public void Prefetch(ulong key) => Shard(key).Prefetch(key);

    /// <summary>Adds <paramref name="key"/>; true if it was not there.</summary>
    public bool Add(ulong key)
    {
        var s = Shard(key);
        lock (s)
        {
            s.GetValueRefOrAdd(key, out var existed);
            return !existed;
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
        var s = Shard(fp);
        lock (s)
        {
            ref var stored = ref s.GetValueRefOrAdd(fp, out var existed);
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
        var s = Shard(key);
        lock (s)
        {
            ref var stored = ref s.GetValueRefOrAdd(key, out var existed);
            if (existed && (int)stored <= used)
            {
                return false;
            }

            stored = (ulong)used;
            return true;
        }
    }

    /// <summary>Whether <paramref name="key"/> was last claimed with exactly <paramref name="used"/> preemptions.</summary>
    public bool HasBudget(ulong key, int used)
    {
        var s = Shard(key);
        lock (s)
        {
            return s.TryGetValue(key, out var stored) && (int)stored == used;
        }
    }

    public HashSet<ulong> Keys()
    {
        var all = new HashSet<ulong>();
        foreach (var s in _shards)
        {
            lock (s)
            {
                s.CopyKeysTo(all);
            }
        }

        return all;
    }

    // Fingerprints are hashes already: the top bits pick the shard, the low bits the slot in it.
    private StateShard Shard(ulong key) => _shards[(int)(key >> 58)];
}
