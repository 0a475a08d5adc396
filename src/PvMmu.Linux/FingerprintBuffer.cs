using System.IO.Hashing;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace PvMmu.Linux;

/// <summary>
/// The bytes a guest fingerprint is taken over, gathered into one reused buffer and hashed in one XxHash3 call. The
/// guest's state is some forty small arrays; a streaming hash pays per append, and those appends had come to cost
/// more than hashing the bytes (profiled 2026-12-05, in docs/performance.md's git history). One buffer per thread; a fingerprint is taken from
/// <see cref="Start"/> to <see cref="Hash"/> without another starting in between.
/// </summary>
internal sealed class FingerprintBuffer
{
    [ThreadStatic]
    private static FingerprintBuffer? _current;

    /// <summary>Spans longer than this (in bytes) enter as their own 64-bit hash.</summary>
    private const int LongSpan = 256;

    private byte[] _bytes = new byte[4096];
    private int _length;

    /// <summary>This thread's buffer, emptied.</summary>
    public static FingerprintBuffer Start()
    {
        var b = _current ??= new FingerprintBuffer();
        b._length = 0;
        return b;
    }

    public void Add<T>(T[] items)
        where T : struct => Add((ReadOnlySpan<T>)items);

    public void Add<T>(ReadOnlySpan<T> items)
        where T : struct
    {
        var bytes = MemoryMarshal.AsBytes(items);
        var n = bytes.Length;
        if (n > LongSpan)
        {
            // Hashed where it lies rather than copied: its hash stands for it.
            Add(XxHash3.HashToUInt64(bytes));
            return;
        }

        // Copied here, a word at a time (the last word overlapping the one before), rather than by a call to
        // memmove: most spans are a dozen ints, and the call had cost more than the copy.
        Reserve(n);
        ref var to = ref At(_length);
        ref var from = ref MemoryMarshal.GetReference(bytes);
        if (n >= sizeof(ulong))
        {
            var i = 0;
            for (; i <= n - sizeof(ulong); i += sizeof(ulong))
            {
                Unsafe.WriteUnaligned(ref Unsafe.Add(ref to, i), Unsafe.ReadUnaligned<ulong>(ref Unsafe.Add(ref from, i)));
            }

            if (i < n)
            {
                Unsafe.WriteUnaligned(ref Unsafe.Add(ref to, n - sizeof(ulong)), Unsafe.ReadUnaligned<ulong>(ref Unsafe.Add(ref from, n - sizeof(ulong))));
            }
        }
        else
        {
            for (var i = 0; i < n; i++)
            {
                Unsafe.Add(ref to, i) = Unsafe.Add(ref from, i);
            }
        }

        _length += n;
    }

    /// <summary>Written in place: a fingerprint adds some seventy words, and the span checks had cost more than the words.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Add(ulong word)
    {
        Reserve(sizeof(ulong));
        Unsafe.WriteUnaligned(ref At(_length), word);
        _length += sizeof(ulong);
    }

    public ulong Hash() => XxHash3.HashToUInt64(_bytes.AsSpan(0, _length));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private ref byte At(int offset) => ref Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(_bytes), offset);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void Reserve(int n)
    {
        if (_length + n > _bytes.Length)
        {
            Grow(n);
        }
    }

    private void Grow(int n) => Array.Resize(ref _bytes, Math.Max(_bytes.Length * 2, _length + n));
}
