using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace PvMmu.Linux.Sched;

/// <summary>
/// One array of a <see cref="Machine"/>'s explored state (a value per vCPU, or per pair), kept as a slice of one
/// store shared by all the arrays of its element type: a snapshot, a restore and a fingerprint then take the store in
/// one copy or one span instead of one per array (seventeen arrays of a few words each had cost more in calls than in
/// bytes). Indexed as the array it stands for.
/// </summary>
internal readonly struct StateRow<T>
    where T : struct
{
    private readonly T[] _store;
    private readonly int _offset;
    private readonly int _length;

    /// <summary>The row of <paramref name="length"/> values at <paramref name="offset"/> in <paramref name="store"/>.</summary>
    public StateRow(T[] store, int offset, int length)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(offset);
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(offset + length, store.Length);
        (_store, _offset, _length) = (store, offset, length);
    }

    public int Length => _length;

    public ref T this[int i]
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get
        {
            // One bounds check, the row's: the constructor has checked that the row lies inside the store.
            if ((uint)i >= (uint)_length)
            {
                ThrowOutOfRange();
            }

            return ref Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(_store), _offset + i);
        }
    }

    public Span<T> Span => _store.AsSpan(_offset, _length);

    public void Clear() => Span.Clear();

    private static void ThrowOutOfRange() => throw new IndexOutOfRangeException();
}
