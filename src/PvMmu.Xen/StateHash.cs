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

    [ThreadStatic]
    private static ulong[]? _pairs;

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
        foreach (var a in h.Declared)
        {
            if (a.Role == State.StateRole.Hashed)
            {
                x.Append(a.Bytes);
                continue;
            }

            // The (frame, page hash) pairs gathered and appended at once: XxHash3 of bytes appended in pieces is that
            // of the bytes together, so the fingerprint is the one a pair at a time gave, for fewer calls.
            var tables = h.Tables;
            var index = (int[])a.Array;
            var pairs = _pairs ??= new ulong[64];
            var n = 0;
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

                if (n + 2 > pairs.Length)
                {
                    x.Append(MemoryMarshal.AsBytes(pairs.AsSpan(0, n)));
                    n = 0;
                }

                pairs[n++] = (ulong)m;
                pairs[n++] = page;
            }

            x.Append(MemoryMarshal.AsBytes(pairs.AsSpan(0, n)));
        }

        return x.GetCurrentHashAsUInt64();
    }
}
