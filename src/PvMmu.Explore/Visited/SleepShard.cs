using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics.X86;

namespace PvMmu.Explore.Visited;

/// <summary>
/// One shard of a <see cref="SleepTable"/>: open addressing with linear probing over 8-byte slots, each holding a
/// state's fingerprint and its stored sleep set in one word (<see cref="SleepTable"/> says how). The shard is the
/// fingerprint's top <see cref="SleepTable.ShardBits"/> bits, so a slot keeps the other 56, shifted up by
/// <see cref="SleepTable.ValueBits"/>, and the value in the bits below: a slot matches a fingerprint when the two
/// differ only there. Slot 0 marks an empty slot; the one fingerprint whose 56 bits are all zero is kept aside.
/// <para>
/// Any number of slots, not only powers of two: a fingerprint's home slot is its low 32 bits scaled to the capacity
/// (Lemire's multiply-shift), so that the shard can grow by half when three quarters full. A shard then holds between
/// 8 / 0.75 ≈ 10.7 and 1.5 × 8 / 0.75 = 16 bytes per fingerprint; from <see cref="SleepTable.ArenaFrom"/> slots its
/// block lies beside the other shards' of the same capacity in one mapping on huge pages (<see cref="SlotArena"/>:
/// until 2026-12-08 each shard had a block of its own, too small for a huge page, and a probe of a table of millions
/// of states missed the TLB). A struct on 128 bytes of its own, as <see cref="StateShard"/>, for the same
/// reason; not thread-safe by itself: callers hold it with <see cref="Enter"/>.
/// </para>
/// </summary>
[StructLayout(LayoutKind.Explicit, Size = 128)]
internal unsafe struct SleepShard
{
    private const int InitialSlots = 64;

    [FieldOffset(0)]
    private int _lock;

    [FieldOffset(4)]
    private int _capacity;

    [FieldOffset(8)]
    private ulong* _slots;

    [FieldOffset(16)]
    private int _used;

    [FieldOffset(20)]
    private bool _hasZero;

    [FieldOffset(24)]
    private ulong _zeroValue;

    [FieldOffset(32)]
    private SlotBlock _own;

    /// <summary>Whether the slots are this shard's block of one of the table's arenas (<see cref="SlotArena"/>) rather than <see cref="_own"/>.</summary>
    [FieldOffset(56)]
    private bool _inArena;

    public readonly int Count => _used + (_hasZero ? 1 : 0);

    public readonly int Capacity => _capacity;

    /// <summary>Where the slots are (they move when the shard grows).</summary>
    public readonly ulong* Slots => _slots;

    /// <summary>A shard with a few slots.</summary>
    public static SleepShard Create(int slots = InitialSlots)
    {
        var s = default(SleepShard);
        s._own = SlotBlock.Allocate((long)slots * sizeof(ulong));
        s._slots = s._own.Slots;
        s._capacity = slots;
        return s;
    }

    public void Free()
    {
        _own.Free();
        _own = default;
    }

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
    /// The slot of <paramref name="key"/> (its value in the low <see cref="SleepTable.ValueBits"/> bits; the caller
    /// writes them, and only them), added with value 0 if it was not there (<paramref name="existed"/> false). The
    /// reference is valid until the next call. <paramref name="table"/> says how far to grow, when it must.
    /// </summary>
    [UnscopedRef]
    public ref ulong GetSlotOrAdd(ulong key, out bool existed, SleepTable? table = null, int shard = 0)
    {
        var tag = key << SleepTable.ValueBits;
        if (tag == 0)
        {
            existed = _hasZero;
            _hasZero = true;
            return ref _zeroValue;
        }

        // Grown before the insertion it may be needed for, so that the reference returned stays in the slots.
        if (4L * (_used + 1) > 3L * _capacity)
        {
            Grow(SleepTable.Grown(table, _capacity), table, shard);
        }

        ref var slot = ref Probe(_slots, _capacity, tag);
        existed = slot != 0;
        if (!existed)
        {
            slot = tag;
            _used++;
        }

        return ref slot;
    }

    /// <summary>The slot holding <paramref name="key"/>, if it is there (its value in the low bits).</summary>
    public readonly bool TryGetSlot(ulong key, out ulong slot)
    {
        var tag = key << SleepTable.ValueBits;
        if (tag == 0)
        {
            slot = _zeroValue;
            return _hasZero;
        }

        slot = Probe(_slots, _capacity, tag);
        return slot != 0;
    }

    /// <summary>Starts fetching the cache line where <paramref name="key"/>'s probe starts (a hint; never faults).</summary>
    public readonly void Prefetch(ulong key)
    {
        if (Sse.IsSupported)
        {
            Sse.Prefetch0(_slots + Home(key << SleepTable.ValueBits, _capacity));
        }
    }

    /// <summary>Adds every key to <paramref name="into"/>, its top bits those of shard <paramref name="shard"/>.</summary>
    public readonly void CopyKeysTo(HashSet<ulong> into, int shard)
    {
        var top = (ulong)shard << (64 - SleepTable.ShardBits);
        if (_hasZero)
        {
            into.Add(top);
        }

        for (var i = 0; i < _capacity; i++)
        {
            if (_slots[i] != 0)
            {
                into.Add(top | (_slots[i] >> SleepTable.ValueBits));
            }
        }
    }

    /// <summary>A tag's home slot: the low 32 bits of its fingerprint, scaled to the capacity.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static int Home(ulong tag, int capacity) => (int)(((tag >> SleepTable.ValueBits) & uint.MaxValue) * (ulong)(uint)capacity >> 32);

    /// <summary>The slot holding <paramref name="tag"/>'s fingerprint, or the empty one where it would go.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ref ulong Probe(ulong* slots, int capacity, ulong tag)
    {
        for (var i = Home(tag, capacity); ; i = i + 1 == capacity ? 0 : i + 1)
        {
            ref var slot = ref slots[i];
            if (slot == 0 || (slot ^ tag) < (1UL << SleepTable.ValueBits))
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
    /// Moves every slot into <paramref name="capacity"/> new ones: shard <paramref name="shard"/>'s block of
    /// <paramref name="table"/>'s arena of that capacity if it keeps one, else a block of its own.
    /// </summary>
    private void Grow(int capacity, SleepTable? table, int shard)
    {
        SlotBlock own = default;
        var slots = table?.ArenaBlock(shard, capacity);
        if (slots == null)
        {
            own = SlotBlock.Allocate((long)capacity * sizeof(ulong));
            slots = own.Slots;
        }

        for (var i = 0; i < _capacity; i++)
        {
            var s = _slots[i];
            if (s != 0)
            {
                Probe(slots, capacity, s & ~((1UL << SleepTable.ValueBits) - 1)) = s;
            }
        }

        if (_inArena)
        {
            table!.LeaveArena(shard, _capacity);
        }

        _own.Free();
        _own = own;
        _inArena = own.Slots == null;
        _slots = slots;
        _capacity = capacity;
        table?.Publish(shard, slots, capacity);
    }
}
