using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics.X86;

namespace PvMmu.Explore.Visited;

/// <summary>
/// The exhaustive search's visited states in 8 bytes each: per state its 64-bit fingerprint and its sleep set,
/// over-approximated, in one word, in 256 shards that each take a lock of their own (<see cref="SleepShard"/>). The
/// shard is the fingerprint's top 8 bits, so each slot keeps the other 56 and the full 64 bits still tell states apart
/// (the collision estimate is that of 64-bit fingerprints); the 8 bits freed hold the sleep set.
/// <para>
/// The sleep set in 8 bits, two per vCPU: bit <c>2c mod 8</c> is set when vCPU c's IPI is asleep, bit
/// <c>(2c + 1) mod 8</c> when any of its step moves is; each reads back as all the moves it may stand for. Up to four
/// vCPUs this loses only which of a vCPU's scheduler alternatives were asleep, which in the worker's move order are
/// asleep all together or not at all (a vCPU's moves come one after another); past four, vCPUs share bits. So the
/// set stored is a superset of the set meant, never a subset, and that keeps
/// Godefroid's sleep sets with state caching sound (<see cref="ClaimSleep"/>): a state reached again with sleep set
/// Z' explores the stored moves that are awake now, S \ Z', which holds the moves Z \ Z' the exact scheme explores,
/// and perhaps some already explored (explored again: more moves, never fewer); and it expands them with sleep set
/// S ∩ Z', a subset of Z', the sleep set the current path has earned anyway (a smaller sleep set prunes less). So every
/// state reachable is still visited, and the distinct states counted are the same as with exact sleep sets.
/// </para>
/// </summary>
internal sealed class SleepTable
{
    /// <summary>The fingerprint's bits that pick the shard (and need not be stored).</summary>
    public const int ShardBits = 8;

    /// <summary>The slot's bits that hold the value: as many as the shard bits, so that 64 fingerprint bits remain.</summary>
    public const int ValueBits = ShardBits;

    /// <summary>The largest value a slot holds.</summary>
    public const ulong MaxValue = (1UL << ValueBits) - 1;

    /// <summary>Below this many slots a shard grows by half; a search that outgrows it jumps to the presized capacity.</summary>
    internal const int PresizedFrom = 4096;

    /// <summary>Past this many expected keys the table is not presized further (see <see cref="StateTable"/>).</summary>
    private const long MaxPresizedKeys = 4_000_000;

    private const int Shards = 1 << ShardBits;

    /// <summary>From this many slots a shard's blocks are taken from an arena (<see cref="SlotArena"/>): 64 KiB a shard, 16 MiB an arena.</summary>
    internal const int ArenaFrom = 8192;

    private readonly SleepShard[] _shards = new SleepShard[Shards];

    /// <summary>
    /// Each shard's slots and capacity, copied out of <see cref="_shards"/> onto cache lines that only a growth
    /// writes: the prefetch reads them without the lock. A shard's own line holds its lock and count, which every
    /// claim writes; with two threads that line was most often last written by the other core, and reading the
    /// slots pointer beside it had cost a cache miss of its own before the slot's miss could even start.
    /// </summary>
    private readonly ShardView[] _views = new ShardView[Shards];

    /// <summary>The arenas in use, by capacity (at most the two a growth moves between, but for shards far behind).</summary>
    private readonly Dictionary<int, SlotArena> _arenas = [];
    private readonly Lock _arenaLock = new();
    private readonly int _presizedSlots;

    /// <summary>A table expecting up to <paramref name="expectedKeys"/> keys (0: grow as needed).</summary>
    public unsafe SleepTable(long expectedKeys = 0)
    {
        for (var i = 0; i < Shards; i++)
        {
            _shards[i] = SleepShard.Create();
            _views[i] = new ShardView(_shards[i].Slots, _shards[i].Capacity);
        }

        // A shard's share, with room for eight standard deviations of how fingerprints fall, at most three quarters full.
        var perShard = Math.Min(expectedKeys, MaxPresizedKeys) / Shards;
        _presizedSlots = (int)(4 * (perShard + (8 * (long)Math.Sqrt(perShard)) + 64) / 3);
    }

    ~SleepTable()
    {
        for (var i = 0; i < Shards; i++)
        {
            _shards[i].Free();
        }

        foreach (var a in _arenas.Values)
        {
            a.Free();
        }
    }

    /// <summary>
    /// Shard <paramref name="shard"/>'s block in the arena of <paramref name="capacity"/> slots (made by the first
    /// shard to ask), or null below <see cref="ArenaFrom"/>: the shard then takes a block of its own.
    /// </summary>
    internal unsafe ulong* ArenaBlock(int shard, int capacity)
    {
        if (capacity < ArenaFrom)
        {
            return null;
        }

        lock (_arenaLock)
        {
            if (!_arenas.TryGetValue(capacity, out var arena))
            {
                arena = new SlotArena(Shards, capacity);
                _arenas.Add(capacity, arena);
            }

            return arena.BlockOf(shard);
        }
    }

    /// <summary>Shard <paramref name="shard"/> has moved out of its block in the arena of <paramref name="capacity"/> slots.</summary>
    internal void LeaveArena(int shard, int capacity)
    {
        lock (_arenaLock)
        {
            if (_arenas[capacity].Release(shard))
            {
                _ = _arenas.Remove(capacity);
            }
        }
    }

    /// <summary>How many slots each shard takes once past <see cref="PresizedFrom"/>, if that is more than it would.</summary>
    internal int PresizedSlots => _presizedSlots;

    /// <summary>How many slots a shard of <paramref name="capacity"/> grows to: half as many again, or the presized size.</summary>
    internal static int Grown(SleepTable? table, int capacity)
    {
        var next = (int)Math.Min(int.MaxValue, capacity + ((long)capacity / 2));
        return table != null && next >= PresizedFrom && table._presizedSlots > next ? table._presizedSlots : next;
    }

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

    /// <summary>The memory the slots hold, used or not: 8 bytes a slot.</summary>
    public long Bytes
    {
        get
        {
            long bytes = 0;
            for (var i = 0; i < Shards; i++)
            {
                ref var s = ref _shards[i];
                s.Enter();
                bytes += sizeof(ulong) * (long)s.Capacity;
                s.Exit();
            }

            return bytes;
        }
    }

    /// <summary>How many arenas are mapped now (<see cref="SlotArena"/>).</summary>
    internal int Arenas
    {
        get
        {
            lock (_arenaLock)
            {
                return _arenas.Count;
            }
        }
    }

    /// <summary>How many slots shard <paramref name="shard"/> has now.</summary>
    internal int ShardCapacity(int shard) => _shards[shard].Capacity;

    /// <summary>Starts fetching <paramref name="key"/>'s slot from memory.</summary>
    public unsafe void Prefetch(ulong key)
    {
        if (!Sse.IsSupported)
        {
            return;
        }

        // Read without the lock: a growth racing with it can only make this prefetch a wasted one, never a fault.
        var i = Index(key);
        var view = _views[i];
        Sse.Prefetch0(view.Slots + SleepShard.Home(key << ValueBits, view.Capacity));

        // The shard's lock and count, which the claim writes next: fetched now, while the enabled moves are gathered.
        Sse.Prefetch0(Unsafe.AsPointer(ref _shards[i]));
    }

    /// <summary>Whether the slots and capacity the prefetch reads for shard <paramref name="shard"/> are the shard's own (for tests).</summary>
    internal unsafe bool ViewIsCurrent(int shard) =>
        _views[shard].Slots == _shards[shard].Slots && _views[shard].Capacity == _shards[shard].Capacity;

    /// <summary>Shard <paramref name="shard"/> now keeps <paramref name="capacity"/> slots at <paramref name="slots"/> (under its lock).</summary>
    internal unsafe void Publish(int shard, ulong* slots, int capacity) => _views[shard] = new ShardView(slots, capacity);

    /// <summary>Adds <paramref name="key"/> (its sleep set empty); true if it was not there.</summary>
    public bool Add(ulong key)
    {
        var i = Index(key);
        ref var s = ref _shards[i];
        s.Enter();
        try
        {
            s.GetSlotOrAdd(key, out var existed, this, i);
            return !existed;
        }
        finally
        {
            s.Exit();
        }
    }

    /// <summary>
    /// Godefroid's sleep sets with a state cache, as <see cref="StateTable.ClaimSleep"/>, with the stored set
    /// over-approximated (see the class): a state first reached with sleep set Z is expanded for every enabled move
    /// outside Z, and Z is stored; reached again with Z', the stored moves awake now are explored with the stored
    /// moves still asleep as their sleep set, which is then stored.
    /// </summary>
    public void ClaimSleep(ulong fp, ulong sleep, ulong enabled, out bool isNew, out ulong explore, out ulong working)
    {
        sleep &= enabled;
        var i = Index(fp);
        ref var s = ref _shards[i];
        s.Enter();
        try
        {
            ref var slot = ref s.GetSlotOrAdd(fp, out var existed, this, i);
            if (existed)
            {
                isNew = false;
                var stored = Decode(slot & MaxValue) & enabled;
                explore = stored & ~sleep;
                working = stored & sleep;
                if (explore != 0)
                {
                    slot = (slot & ~MaxValue) | Encode(working);
                }

                return;
            }

            slot |= Encode(sleep);
        }
        finally
        {
            s.Exit();
        }

        isNew = true;
        explore = enabled & ~sleep;
        working = sleep;
    }

    /// <summary>Every key (for tests and for a search's visited fingerprints).</summary>
    public HashSet<ulong> Keys()
    {
        var all = new HashSet<ulong>();
        for (var i = 0; i < Shards; i++)
        {
            ref var s = ref _shards[i];
            s.Enter();
            try
            {
                s.CopyKeysTo(all, i);
            }
            finally
            {
                s.Exit();
            }
        }

        return all;
    }

    /// <summary>
    /// A sleep set (bit <c>4c + k</c>: move k of vCPU c, 0 ≤ k &lt; 4, as the exhaustive worker numbers them: the IPI,
    /// then the step's alternatives) in 8 bits: bit <c>2c mod 8</c> for a vCPU whose IPI is in it, bit
    /// <c>(2c + 1) mod 8</c> for one with a step in it.
    /// </summary>
    internal static ulong Encode(ulong sleep)
    {
        ulong bits = 0;
        for (var c = 0; sleep != 0; c++, sleep >>= Exhaustive.ExhaustiveWorker.MovesPerVcpu)
        {
            if ((sleep & 1) != 0)
            {
                bits |= 1UL << (2 * c % ValueBits);
            }

            if ((sleep & VcpuMoves & ~1UL) != 0)
            {
                bits |= 1UL << (((2 * c) + 1) % ValueBits);
            }
        }

        return bits;
    }

    /// <summary>What <see cref="Encode"/> stored, read back as a superset: every move of every vCPU its bits may stand for.</summary>
    internal static ulong Decode(ulong bits) => Decoded[(int)(bits & MaxValue)];

    /// <summary><see cref="DecodeBits"/> of each of the 256 values a slot holds, worked out once: it is read at every state reached again.</summary>
    private static readonly ulong[] Decoded = [.. Enumerable.Range(0, (int)MaxValue + 1).Select(b => DecodeBits((ulong)b))];

    private static ulong DecodeBits(ulong bits)
    {
        ulong sleep = 0;
        for (var c = 0; c < Exhaustive.ExhaustiveWorker.MaxVcpus; c++)
        {
            var at = Exhaustive.ExhaustiveWorker.MovesPerVcpu * c;
            if ((bits & (1UL << (2 * c % ValueBits))) != 0)
            {
                sleep |= 1UL << at;
            }

            if ((bits & (1UL << (((2 * c) + 1) % ValueBits))) != 0)
            {
                sleep |= (VcpuMoves & ~1UL) << at;
            }
        }

        return sleep;
    }

    /// <summary>The bits of one vCPU's moves in a sleep set, at vCPU 0.</summary>
    private const ulong VcpuMoves = (1UL << Exhaustive.ExhaustiveWorker.MovesPerVcpu) - 1;

    private static int Index(ulong key) => (int)(key >> (64 - ShardBits));
}
