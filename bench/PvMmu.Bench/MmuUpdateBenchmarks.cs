using BenchmarkDotNet.Attributes;
using PvMmu.Xen;
using PvMmu.Xen.Abi;

namespace PvMmu.Bench;

/// <summary>
/// Validated L1 mmu_update requests: one hypercall maps 512 data frames read-write into a pinned L1 (each a
/// get_page_from_l1e with a writable type reference), the next clears them (each a put). Every request is one
/// validated entry operation.
/// </summary>
[MemoryDiagnoser]
public class MmuUpdateBenchmarks
{
    private const int Entries = 512;
    private Hypervisor _h = null!;
    private MmuUpdateRequest[] _map = [];
    private MmuUpdateRequest[] _clear = [];

    [GlobalSetup]
    public void Setup()
    {
        _h = new Hypervisor(new HypervisorConfig { Vcpus = 1, GuestFrames = Entries + 8 });
        var l1 = _h.FirstGuestFrame;
        if (_h.MmuextOp(0, [MmuExtOpRequest.Pin(1, l1)], out _) != 0)
        {
            throw new InvalidOperationException("pin failed");
        }

        _map = new MmuUpdateRequest[Entries];
        _clear = new MmuUpdateRequest[Entries];
        for (var i = 0; i < Entries; i++)
        {
            _map[i] = MmuUpdateRequest.Normal(l1, i, PageFlags.Entry(l1 + 1 + (uint)i, PageFlags.Present | PageFlags.Rw | PageFlags.User));
            _clear[i] = MmuUpdateRequest.Normal(l1, i, 0);
        }
    }

    [Benchmark(OperationsPerInvoke = 2 * Entries)]
    public long MapAndClear512()
    {
        var rc = _h.MmuUpdate(0, _map, out _);
        rc |= _h.MmuUpdate(0, _clear, out _);
        return rc;
    }
}
