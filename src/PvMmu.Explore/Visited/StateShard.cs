using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics.X86;

namespace PvMmu.Explore.Visited;

/// <summary>
/// One shard of a <see cref="StateTable"/>: 64-bit keys to 64-bit values by open addressing with linear probing, key
/// and value side by side, so a lookup in a table too big for the caches costs one miss where a
/// <see cref="Dictionary{TKey, TValue}"/> costs two (its bucket, then its entry). Keys are fingerprints, hashes
/// already: their low bits are the slot. Key 0 marks an empty slot and is kept aside. The slots live outside the
/// garbage-collected heap (<see cref="SlotBlock"/>); past a few thousand keys a shard moves into its part of the
/// table's presized block, so that a big search neither grows its shards step by step nor walks 4 KiB pages.
/// <para>
/// A struct the table keeps in an array, each on 128 bytes of its own: its lock word, its count and where its slots
/// are share one cache line, which two threads hand back and forth once per state (a lock object and a shard object
/// apart had cost two such transfers). Not thread-safe by itself: callers hold it with <see cref="Enter"/>.
/// </para>
/// </summary>
[StructLayout(LayoutKind.Explicit, Size = 128)]
internal unsafe struct StateShard
{
    private const int InitialSlots = 64;

    [FieldOffset(0)]
    private int _lock;

    [FieldOffset(4)]
    private int _mask;

    /// <summary>Slot i holds its key at 2i and its value at 2i + 1.</summary>
    [FieldOffset(8)]
    private ulong* _slots;

    [FieldOffset(16)]
    private int _used;

    [FieldOffset(20)]
    private bool _hasZero;

    [FieldOffset(24)]
    private ulong _zeroValue;

    /// <summary>The slots this shard allocated itself (none once it has moved into the table's block).</summary>
    [FieldOffset(32)]
    private SlotBlock _own;

    public readonly int Count => _used + (_hasZero ? 1 : 0);

    /// <summary>How many slots the shard has now.</summary>
    public readonly int Capacity => _mask + 1;

    /// <summary>Whether the slots are the shard's own (not its part of the table's presized block).</summary>
    public readonly bool OwnsSlots => _own.Slots != null;

    /// <summary>A shard with a few slots of its own.</summary>
    public static StateShard Create()
    {
        var s = default(StateShard);
        s._own = SlotBlock.Allocate(2L * InitialSlots * sizeof(ulong));
        s._slots = s._own.Slots;
        s._mask = InitialSlots - 1;
        return s;
    }

    /// <summary>Gives back the slots the shard allocated itself.</summary>
    public void Free()
    {
        _own.Free();
        _own = default;
    }

    /// <summary>
    /// Takes the shard's lock: a spin on its word, since the work done under it is a probe or two, and the other
    /// thread holds it for as little; past a few spins it yields, in case the holder was preempted.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Enter()
    {
        if (Interlocked.CompareExchange(ref _lock, 1, 0) != 0)
        {
            EnterContended();
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Exit() => Volatile.Write(ref _lock, 0);

    /// <summary>
    /// The value stored for <paramref name="key"/>, added as 0 if it was not there (<paramref name="existed"/> false).
    /// The reference is valid until the next call. <paramref name="table"/> and <paramref name="index"/> say whose
    /// shard this is, for the presized slots it may move into.
    /// </summary>
    [UnscopedRef]
    public ref ulong GetValueRefOrAdd(ulong key, out bool existed, StateTable? table = null, int index = 0)
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
            Grow(table, index);
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
    public readonly void Prefetch(ulong key)
    {
        if (Sse.IsSupported)
        {
            Sse.Prefetch0(_slots + (2 * ((int)key & _mask)));
        }
    }

    /// <summary>The value stored for <paramref name="key"/>, if it is there.</summary>
    public readonly bool TryGetValue(ulong key, out ulong value)
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
    public readonly void CopyKeysTo(HashSet<ulong> into)
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

    [MethodImpl(MethodImplOptions.NoInlining)]
    private void EnterContended()
    {
        var spin = default(SpinWait);
        do
        {
            spin.SpinOnce(sleep1Threshold: -1);
        }
        while (Volatile.Read(ref _lock) != 0 || Interlocked.CompareExchange(ref _lock, 1, 0) != 0);
    }

    /// <summary>
    /// Doubles the slots (kept at most half full, so a probe rarely leaves its cache line), or moves into the
    /// table's presized slots once they are big enough.
    /// </summary>
    private void Grow(StateTable? table, int index)
    {
        var wanted = 2 * (_mask + 1);
        SlotBlock own = default;
        if (table == null || !table.TryPresized(index, wanted, out var slots, out var capacity))
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
