using System.IO.Hashing;
using System.Runtime.InteropServices;

namespace PvMmu.Xen;

/// <summary>
/// The model's fingerprint: XxHash64 over every state array. Table contents are hashed per frame, so the order in
/// which pool pages were allocated does not matter, and an all-zero page counts as no page.
/// </summary>
internal static class StateHash
{
    public static ulong Compute(Hypervisor h)
    {
        var x = new XxHash64();
        var f = h.Frames;
        x.Append(MemoryMarshal.AsBytes(f.GeneralCount.AsSpan()));
        x.Append(MemoryMarshal.AsBytes(f.TypeCount.AsSpan()));
        x.Append(MemoryMarshal.AsBytes(f.Type.AsSpan()));
        x.Append(MemoryMarshal.AsBytes(f.Flags.AsSpan()));
        x.Append(MemoryMarshal.AsBytes(f.LinearPtCount.AsSpan()));
        x.Append(MemoryMarshal.AsBytes(f.Owner.AsSpan()));
        x.Append(MemoryMarshal.AsBytes(f.TlbStamp.AsSpan()));
        Span<byte> id = stackalloc byte[4];
        for (var m = 0; m < f.Count; m++)
        {
            var t = f.TableIndex[m];
            if (t < 0)
            {
                continue;
            }

            var page = h.Tables.View(t);
            if (!page.ContainsAnyExcept(0UL))
            {
                continue;
            }

            MemoryMarshal.Write(id, m);
            x.Append(id);
            x.Append(MemoryMarshal.AsBytes(page));
        }

        var v = h.Vcpus;
        x.Append(MemoryMarshal.AsBytes(v.GuestTable.AsSpan()));
        x.Append(MemoryMarshal.AsBytes(v.GuestTableUser.AsSpan()));
        x.Append(MemoryMarshal.AsBytes(v.KernelMode.AsSpan()));
        x.Append(MemoryMarshal.AsBytes(v.Online.AsSpan()));
        x.Append(MemoryMarshal.AsBytes(v.OldGuestTable.AsSpan()));
        x.Append(MemoryMarshal.AsBytes(v.TlbFlushTime.AsSpan()));
        var tlb = h.Tlb;
        x.Append(MemoryMarshal.AsBytes(tlb.Key.AsSpan()));
        x.Append(MemoryMarshal.AsBytes(tlb.Mfn.AsSpan()));
        x.Append(MemoryMarshal.AsBytes(tlb.Bits.AsSpan()));
        x.Append(MemoryMarshal.AsBytes(tlb.LinearKey.AsSpan()));
        x.Append(MemoryMarshal.AsBytes(tlb.LinearFrame.AsSpan()));
        var d = h.Domains;
        x.Append(MemoryMarshal.AsBytes(d.DirtyCpuMask.AsSpan()));
        x.Append(MemoryMarshal.AsBytes(d.NrL4Pages.AsSpan()));
        x.Append(MemoryMarshal.AsBytes(d.Crashed.AsSpan()));
        x.Append(MemoryMarshal.AsBytes(h.M2p.AsSpan()));
        Span<byte> clock = stackalloc byte[4];
        MemoryMarshal.Write(clock, h.Clock);
        x.Append(clock);
        return x.GetCurrentHashAsUInt64();
    }
}
