using System.IO.Hashing;
using System.Runtime.InteropServices;

namespace PvMmu.Xen;

/// <summary>
/// The model's fingerprint: XxHash3 over every state array, field by field. Table contents enter as one 64-bit hash
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
        var f = h.Frames;
        Append(x, f.GeneralCount);
        Append(x, f.TypeCount);
        Append(x, f.Type);
        Append(x, f.Flags);
        Append(x, f.LinearPtCount);
        Append(x, f.Owner);
        Append(x, f.TlbStamp);
        Span<ulong> pair = stackalloc ulong[2];
        var tables = h.Tables;
        var index = f.TableIndex;
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

        var v = h.Vcpus;
        Append(x, v.GuestTable);
        Append(x, v.GuestTableUser);
        Append(x, v.KernelMode);
        Append(x, v.Online);
        Append(x, v.OldGuestTable);
        Append(x, v.TlbFlushTime);
        var tlb = h.Tlb;
        Append(x, tlb.Key);
        Append(x, tlb.Mfn);
        Append(x, tlb.Bits);
        Append(x, tlb.LinearKey);
        Append(x, tlb.LinearFrame);
        var d = h.Domains;
        Append(x, d.DirtyCpuMask);
        Append(x, d.NrL4Pages);
        Append(x, d.Crashed);
        Append(x, h.M2p);
        pair[0] = h.Clock;
        x.Append(MemoryMarshal.AsBytes(pair[..1]));
        return x.GetCurrentHashAsUInt64();
    }

    private static void Append<T>(XxHash3 x, T[] a)
        where T : unmanaged => x.Append(MemoryMarshal.AsBytes(a.AsSpan()));
}
