using BenchmarkDotNet.Attributes;
using PvMmu.Xen;
using PvMmu.Xen.Abi;

namespace PvMmu.Bench;

/// <summary>
/// Pin and unpin of a 1 GiB address space: one L4 → one L3 → one L2 → 512 L1s → 262,144 PTEs, each mapping
/// a data frame read-write. The pin validates every entry (taking a general and a writable type reference per
/// PTE); the unpin devalidates them all. Operations counted: every present entry promoted and demoted.
/// </summary>
[MemoryDiagnoser]
public class PinBenchmarks
{
    public const int L1Tables = 512;
    public const int Ptes = L1Tables * 512;

    /// <summary>Entries (de)validated by one pin + unpin: PTEs, L2 entries, the L3 entry and the L4 entry, twice.</summary>
    public const int Operations = 2 * (Ptes + L1Tables + 1 + 1);

    private Hypervisor _h = null!;
    private uint _l4;

    [GlobalSetup]
    public void Setup()
    {
        _h = Build(out _l4);

        // The benchmark measures what it claims only if a pin really (de)validates every entry.
        if (PinAndUnpin1GiB() != 0
            || _h.Events.Total(PvMmu.Xen.Events.XenEvent.EntriesValidated) != Operations / 2
            || _h.Events.Total(PvMmu.Xen.Events.XenEvent.EntriesDevalidated) != Operations / 2
            || _h.Events.Total(PvMmu.Xen.Events.XenEvent.TableValidated) != L1Tables + 3)
        {
            throw new InvalidOperationException("the 1 GiB pin did not validate the expected entries");
        }
    }

    /// <summary>Builds the tree with the domain builder's writes; shared with the bench self-check test.</summary>
    public static Hypervisor Build(out uint l4)
    {
        var h = new Hypervisor(new HypervisorConfig { Vcpus = 1, GuestFrames = Ptes + L1Tables + 3, XenFrames = 1, OtherFrames = 0, FreeFrames = 0 });
        var first = h.FirstGuestFrame;
        l4 = first;
        uint l3 = first + 1, l2 = first + 2, l1First = first + 3, dataFirst = l1First + L1Tables;
        const ulong rw = PageFlags.Present | PageFlags.Rw | PageFlags.User;
        h.BuilderWrite(l4, 0, PageFlags.Entry(l3, rw));
        h.BuilderWrite(l3, 0, PageFlags.Entry(l2, rw));
        for (var t = 0; t < L1Tables; t++)
        {
            var l1 = l1First + (uint)t;
            h.BuilderWrite(l2, t, PageFlags.Entry(l1, rw));
            for (var s = 0; s < 512; s++)
            {
                h.BuilderWrite(l1, s, PageFlags.Entry(dataFirst + (uint)((t * 512) + s), rw));
            }
        }

        return h;
    }

    [Benchmark(OperationsPerInvoke = Operations)]
    public long PinAndUnpin1GiB()
    {
        var rc = _h.MmuextOp(0, [MmuExtOpRequest.Pin(4, _l4)], out _);
        rc |= _h.MmuextOp(0, [MmuExtOpRequest.Unpin(_l4)], out _);
        return rc;
    }
}
