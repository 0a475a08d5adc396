namespace PvMmu.Explore;

/// <summary>
/// The exhaustive search's visited states, shared by its threads: 64-bit keys to a 64-bit value, in shards that each
/// take a lock, so that threads rarely wait on each other and an entry costs no allocation (no node per entry, as a
/// ConcurrentDictionary would). The value is what the search needs to decide whether a state reached again must be
/// expanded again: a sleep set, or the fewest preemptions it was reached with.
/// </summary>
internal sealed class StateTable
{
    private const int Shards = 64;
    private readonly Dictionary<ulong, ulong>[] _shards = new Dictionary<ulong, ulong>[Shards];

    public StateTable()
    {
        for (var i = 0; i < Shards; i++)
        {
            _shards[i] = [];
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

    /// <summary>Adds <paramref name="key"/>; true if it was not there.</summary>
    public bool Add(ulong key)
    {
        var s = Shard(key);
        lock (s)
        {
            return s.TryAdd(key, 0);
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
            if (s.TryGetValue(fp, out var stored))
            {
                isNew = false;
                explore = stored & ~sleep;
                working = stored & sleep;
                if (explore != 0)
                {
                    s[fp] = working;
                }

                return;
            }

            s.Add(fp, sleep);
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
            if (s.TryGetValue(key, out var stored) && (int)stored <= used)
            {
                return false;
            }

            s[key] = (ulong)used;
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
                all.UnionWith(s.Keys);
            }
        }

        return all;
    }

    // Fingerprints are hashes already; the top bits pick the shard, the dictionary hashes the rest.
    private Dictionary<ulong, ulong> Shard(ulong key) => _shards[(int)(key >> 58)];
}
