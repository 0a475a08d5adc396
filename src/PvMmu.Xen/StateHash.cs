using System.IO.Hashing;
using System.Runtime.InteropServices;

namespace PvMmu.Xen;

/// <summary>
/// The model's fingerprint: XxHash3 over every array of the declared state (<see cref="Hypervisor.DeclaredState"/>), in
/// its order. Table contents enter as one 64-bit hash
/// per frame (<see cref="Frames.PageTablePool.PageHash"/>, cached with the page in the copy-on-write pool and dropped
/// when the page is written), keyed by the frame number, so the order in which pool pages were allocated does not
/// matter, and an all-zero page counts as no page. The fingerprint is a function of the state alone: equal states
/// give equal fingerprints whatever path reached them.
/// </summary>
internal static class StateHash
{
    [ThreadStatic]
    private static XxHash3? _hasher;

    /// <summary>The fingerprint, from the cached page hashes.</summary>
    public static ulong Compute(Hypervisor h) => Compute(h, cached: true);

    /// <summary>
    /// The fingerprint; with <paramref name="cached"/> false every page is hashed afresh (the reference the cached
    /// path is tested against).
    /// </summary>
    public static ulong Compute(Hypervisor h, bool cached)
    {
        var x = _hasher ??= new XxHash3();
        x.Reset();
        Span<ulong> pair = stackalloc ulong[2];
        foreach (var a in h.DeclaredState)
        {
            if (a.Role == State.StateRole.Hashed)
            {
                x.Append(a.Bytes);
                continue;
            }

            var tables = h.Tables;
            var index = (int[])a.Array;
            for (var m = 0; m < index.Length; m++)
            {
                var t = index[m];
                if (t < 0)
                {
                    continue;
                }

                var page = cached ? tables.PageHash(t) : Frames.PageTablePool.ComputeHash(tables.View(t));
                if (page == Frames.PageTablePool.ZeroPageHash)
                {
                    continue;
                }

                pair[0] = (ulong)m;
                pair[1] = page;
                x.Append(MemoryMarshal.AsBytes(pair));
            }
        }

        return x.GetCurrentHashAsUInt64();
    }

    private static void Append<T>(XxHash3 x, T[] a)
        where T : unmanaged => x.Append(MemoryMarshal.AsBytes(a.AsSpan()));
}
