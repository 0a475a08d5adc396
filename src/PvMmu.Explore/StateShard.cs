using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics.X86;

namespace PvMmu.Explore;

/// <summary>
/// One shard of a <see cref="StateTable"/>: 64-bit keys to 64-bit values by open addressing with linear probing, key
/// and value side by side in one array, so a lookup in a table too big for the caches costs one miss where a
/// <see cref="Dictionary{TKey, TValue}"/> costs two (its bucket, then its entry). Keys are fingerprints, hashes
/// already: their low bits are the slot. Key 0 marks an empty slot and is kept aside. Not thread-safe; the table locks.
/// </summary>
internal sealed class StateShard
{
    private const int InitialSlots = 64;

    /// <summary>Slot i holds its key at 2i and its value at 2i + 1.</summary>
    private ulong[] _slots = new ulong[2 * InitialSlots];
    private int _used;
    private bool _hasZero;
    private ulong _zeroValue;

    public int Count => _used + (_hasZero ? 1 : 0);

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

        // Grown before the insertion it may be needed for, so that the reference returned stays in the array.
        if (2 * (_used + 1) > _slots.Length / 2)
        {
            Grow();
        }

        ref var slot = ref Probe(_slots, key);
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
    /// follows a little later does not wait for memory. Unlocked: a hint, harmless if the slots are replaced meanwhile.
    /// </summary>
    public unsafe void Prefetch(ulong key)
    {
        if (Sse.IsSupported)
        {
            var slots = _slots;
            Sse.Prefetch0(Unsafe.AsPointer(ref slots[2 * ((int)key & ((slots.Length / 2) - 1))]));
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

        ref var slot = ref Probe(_slots, key);
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

        for (var i = 0; i < _slots.Length; i += 2)
        {
            if (_slots[i] != 0)
            {
                into.Add(_slots[i]);
            }
        }
    }

    /// <summary>The key slot holding <paramref name="key"/>, or the empty one where it would go.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ref ulong Probe(ulong[] slots, ulong key)
    {
        var mask = (slots.Length / 2) - 1;
        ref var first = ref MemoryMarshal.GetArrayDataReference(slots);
        for (var i = (int)key & mask; ; i = (i + 1) & mask)
        {
            ref var slot = ref Unsafe.Add(ref first, 2 * i);
            if (slot == key || slot == 0)
            {
                return ref slot;
            }
        }
    }

    /// <summary>Doubles the slots (kept at most half full, so a probe rarely leaves its cache line).</summary>
    private void Grow()
    {
        var old = _slots;
        var slots = new ulong[2 * old.Length];
        for (var i = 0; i < old.Length; i += 2)
        {
            if (old[i] != 0)
            {
                ref var slot = ref Probe(slots, old[i]);
                slot = old[i];
                Unsafe.Add(ref slot, 1) = old[i + 1];
            }
        }

        _slots = slots;
    }
}
