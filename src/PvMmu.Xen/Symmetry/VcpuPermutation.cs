namespace PvMmu.Xen.Symmetry;

/// <summary>
/// A renaming of vCPUs (a permutation of 0..n−1), applied to per-vCPU arrays and to cpumasks, for symmetry reduction:
/// <c>To[i]</c> is the new id of vCPU i. Both models (the hypervisor's and the guest's) permute their state with it.
/// </summary>
public sealed class VcpuPermutation
{
    public VcpuPermutation(int[] to)
    {
        To = to;
        From = new int[to.Length];
        var seen = new bool[to.Length];
        for (var i = 0; i < to.Length; i++)
        {
            if (to[i] < 0 || to[i] >= to.Length || seen[to[i]])
            {
                throw new ArgumentException("not a permutation", nameof(to));
            }

            seen[to[i]] = true;
            From[to[i]] = i;
        }
    }

    /// <summary>The new id of each vCPU.</summary>
    public int[] To { get; }

    /// <summary>The old id of each new one (the inverse).</summary>
    public int[] From { get; }

    public int Count => To.Length;

    public bool IsIdentity
    {
        get
        {
            for (var i = 0; i < To.Length; i++)
            {
                if (To[i] != i)
                {
                    return false;
                }
            }

            return true;
        }
    }

    /// <summary>The inverse renaming (made once).</summary>
    public VcpuPermutation Inverse() => _inverse ??= new VcpuPermutation((int[])From.Clone()) { _inverse = this };

    private VcpuPermutation? _inverse;

    /// <summary>A cpumask with bit i moved to bit <c>To[i]</c> (bits at or above the vCPU count are kept).</summary>
    public ulong Mask(ulong mask)
    {
        var low = To.Length >= 64 ? ulong.MaxValue : (1UL << To.Length) - 1;
        var result = mask & ~low;
        for (var m = mask & low; m != 0; m &= m - 1)
        {
            result |= 1UL << To[System.Numerics.BitOperations.TrailingZeroCount(m)];
        }

        return result;
    }

    /// <summary>Moves each of <paramref name="a"/>'s blocks of <paramref name="block"/> elements, one per vCPU, to its new vCPU's place.</summary>
    public void Blocks<T>(T[] a, int block = 1) => Blocks(a.AsSpan(), block);

    /// <inheritdoc cref="Blocks{T}(T[], int)"/>
    public void Blocks<T>(Span<T> a, int block = 1)
    {
        if (a.Length != To.Length * block)
        {
            throw new ArgumentException($"{a.Length} elements are not {To.Length} blocks of {block}");
        }

        var old = System.Buffers.ArrayPool<T>.Shared.Rent(a.Length);
        a.CopyTo(old);
        for (var i = 0; i < To.Length; i++)
        {
            old.AsSpan(i * block, block).CopyTo(a.Slice(To[i] * block, block));
        }

        System.Buffers.ArrayPool<T>.Shared.Return(old, clearArray: System.Runtime.CompilerServices.RuntimeHelpers.IsReferenceOrContainsReferences<T>());
    }

    /// <summary>Every element of <paramref name="a"/> (a cpumask each) with its bits renamed.</summary>
    public void Masks(ulong[] a) => Masks(a.AsSpan());

    /// <inheritdoc cref="Masks(ulong[])"/>
    public void Masks(Span<ulong> a)
    {
        for (var i = 0; i < a.Length; i++)
        {
            a[i] = Mask(a[i]);
        }
    }

    /// <summary>A per-pair array indexed [a × n + b] (both vCPUs), moved to [To[a] × n + To[b]].</summary>
    public void Pairs<T>(T[] a) => Pairs(a.AsSpan());

    /// <inheritdoc cref="Pairs{T}(T[])"/>
    public void Pairs<T>(Span<T> a)
    {
        var n = To.Length;
        var old = System.Buffers.ArrayPool<T>.Shared.Rent(a.Length);
        a.CopyTo(old);
        for (var x = 0; x < n; x++)
        {
            for (var y = 0; y < n; y++)
            {
                a[(To[x] * n) + To[y]] = old[(x * n) + y];
            }
        }

        System.Buffers.ArrayPool<T>.Shared.Return(old, clearArray: System.Runtime.CompilerServices.RuntimeHelpers.IsReferenceOrContainsReferences<T>());
    }
}
