using BenchmarkDotNet.Attributes;
using PvMmu.Events;
using PvMmu.Sim.Bench;
using PvMmu.Xen;

namespace PvMmu.Bench;

/// <summary>
/// Pin and unpin of a 1 GiB address space: one L4 → one L3 → one L2 → 512 L1s → 262,144 PTEs, each mapping
/// a data frame read-write. The pin validates every entry (taking a general and a writable type reference per
/// PTE); the unpin devalidates them all. Operations counted: every present entry promoted and demoted.
/// </summary>
[MemoryDiagnoser]
public class PinBenchmarks
{
    public const int L1Tables = PinTree.L1Tables;
    public const int Ptes = PinTree.Ptes;

    /// <summary>Entries (de)validated by one pin + unpin: PTEs, L2 entries, the L3 entry and the L4 entry, twice.</summary>
    public const int Operations = PinTree.Operations;

    private Hypervisor _h = null!;
    private uint _l4;

    [GlobalSetup]
    public void Setup()
    {
        _h = Build(out _l4);

        // The benchmark measures what it claims only if a pin really (de)validates every entry.
        if (PinAndUnpin1GiB() != 0
            || _h.Events.Total(EventKind.EntriesValidated) != Operations / 2
            || _h.Events.Total(EventKind.EntriesDevalidated) != Operations / 2
            || _h.Events.Total(EventKind.TableValidated) != L1Tables + 3)
        {
            throw new InvalidOperationException("the 1 GiB pin did not validate the expected entries");
        }
    }

    /// <summary>Builds the tree (<see cref="PinTree"/>); shared with the bench self-check test.</summary>
    public static Hypervisor Build(out uint l4) => PinTree.Build(out l4);

    [Benchmark(OperationsPerInvoke = Operations)]
    public long PinAndUnpin1GiB() => PinTree.PinAndUnpin(_h, _l4);
}
