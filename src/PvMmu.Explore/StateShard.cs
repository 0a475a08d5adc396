using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics.X86;

namespace PvMmu.Explore;

/// <summary>
/// One shard of a <see cref="StateTable"/>: 64-bit keys to 64-bit values by open addressing with linear probing, key
/// and value side by side, so a lookup in a table too big for the caches costs one miss where a
/// <see cref="Dictionary{TKey, TValue}"/> costs two (its bucket, then its entry). Keys are fingerprints, hashes
/// already: their low bits are the slot. Key 0 marks an empty slot and is kept aside. The slots live outside the
/// garbage-collected heap (<see cref="SlotBlock"/>); past a few thousand keys a shard moves into its part of the
/// table's presized block, so that a big search neither grows its shards step by step nor walks 4 KiB pages.
/// Not thread-safe: callers hold <see cref="Gate"/>.
/// </summary>
internal sealed unsafe class StateShard
{
    private const int InitialSlots = 64;

    private readonly StateTable? _table;
    private readonly int _index;

    /// <summary>Slot i holds its key at 2i and its value at 2i + 1.</summary>
    private ulong* _slots;
    private int _mask;
    private SlotBlock _own;
    private int _used;
    private bool _hasZero;
    private ulong _zeroValue;

    /// <summary>A shard on its own, growing by doubling.</summary>
    public StateShard()
        : this(null, 0)
    {
    }

    /// <summary>Shard <paramref name="index"/> of <paramref name="table"/>, which may hand it presized slots.</summary>
    public StateShard(StateTable? table, int index)
    {
        (_table, _index) = (table, index);
        _own = SlotBlock.Allocate(2L * InitialSlots * sizeof(ulong));
        _slots = _own.Slots;
        _mask = InitialSlots - 1;
    }

    ~StateShard() => _own.Free();

    /// <summary>Held while the shard is read or written.</summary>
    public Lock Gate { get; } = new();

    public int Count => _used + (_hasZero ? 1 : 0);

    /// <summary>How many slots the shard has now.</summary>
    public int Capacity => _mask + 1;

    /// <summary>
    /// The value stored for <paramref name="key"/>, added as 0 if it was not there (<paramref name="existed"/> false).
    /// The reference is valid until the next call.
    /// </summary>
    public ref ulong GetValueRefOrAdd(ulong key, out bool existed)
    {
        if (key == 0)
        {
            existed = _hasZero;
            _hasZero = true;
            return ref _zeroValue;
        }

        // Grown before the insertion it may be needed for, so that the reference returned stays in the slots.
        if (2 * (_used + 1) > _mask + 1)
        {
            Grow();
        }

        ref var slot = ref Probe(_slots, _mask, key);
        existed = slot != 0;
        if (!existed)
        {
            slot = key;
            _used++;
        }

        return ref Unsafe.Add(ref slot, 1);
    }

    /// <summary>
    /// Asks the CPU to fetch the cache line where <paramref name="key"/>'s probe starts, so that the lookup that
    /// follows a little later does not wait for memory. Unlocked: a hint. If the shard grows meanwhile the address
    /// may be stale, which a prefetch tolerates (it never faults).
    /// </summary>
    public void Prefetch(ulong key)
    {
        if (Sse.IsSupported)
        {
            Sse.Prefetch0(_slots + (2 * ((int)key & _mask)));
        }
    }

    /// <summary>The value stored for <paramref name="key"/>, if it is there.</summary>
    public bool TryGetValue(ulong key, out ulong value)
    {
        if (key == 0)
        {
            value = _zeroValue;
            return _hasZero;
        }

        ref var slot = ref Probe(_slots, _mask, key);
        value = Unsafe.Add(ref slot, 1);
        return slot != 0;
    }

    /// <summary>Adds every key to <paramref name="into"/>.</summary>
    public void CopyKeysTo(HashSet<ulong> into)
    {
        if (_hasZero)
        {
            into.Add(0);
        }

        for (var i = 0; i <= _mask; i++)
        {
            if (_slots[2 * i] != 0)
            {
                into.Add(_slots[2 * i]);
            }
        }
    }

    /// <summary>The key slot holding <paramref name="key"/>, or the empty one where it would go.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ref ulong Probe(ulong* slots, int mask, ulong key)
    {
        for (var i = (int)key & mask; ; i = (i + 1) & mask)
        {
            ref var slot = ref slots[2 * i];
            if (slot == key || slot == 0)
            {
                return ref slot;
            }
        }
    }

    /// <summary>
    /// Doubles the slots (kept at most half full, so a probe rarely leaves its cache line), or moves into the
    /// table's presized slots once they are big enough.
    /// </summary>
    private void Grow()
    {
        var wanted = 2 * (_mask + 1);
        SlotBlock own = default;
        if (_table == null || !_table.TryPresized(_index, wanted, out var slots, out var capacity))
        {
            capacity = wanted;
            own = SlotBlock.Allocate(2L * capacity * sizeof(ulong));
            slots = own.Slots;
        }

        var mask = capacity - 1;
        for (var i = 0; i <= _mask; i++)
        {
            var key = _slots[2 * i];
            if (key != 0)
            {
                ref var slot = ref Probe(slots, mask, key);
                slot = key;
                Unsafe.Add(ref slot, 1) = _slots[(2 * i) + 1];
            }
        }

        _own.Free();
        _own = own;
        _slots = slots;
        _mask = mask;
    }
}
