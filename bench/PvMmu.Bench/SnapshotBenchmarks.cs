using BenchmarkDotNet.Attributes;
using PvMmu.Xen;
using PvMmu.Xen.Abi;

namespace PvMmu.Bench;

/// <summary>
/// What the interleaving explorer will lean on: snapshot, restore and fingerprint of a small machine (64 guest
/// frames, a pinned tree of four tables, two vCPUs).
/// </summary>
[MemoryDiagnoser]
public class SnapshotBenchmarks
{
    private Hypervisor _h = null!;
    private HypervisorSnapshot _s = null!;

    [GlobalSetup]
    public void Setup()
    {
        _h = new Hypervisor(new HypervisorConfig { Vcpus = 2, GuestFrames = 64 });
        var f = _h.FirstGuestFrame;
        const ulong rw = PageFlags.Present | PageFlags.Rw | PageFlags.User;
        _h.BuilderWrite(f, 0, PageFlags.Entry(f + 1, rw));
        _h.BuilderWrite(f + 1, 0, PageFlags.Entry(f + 2, rw));
        _h.BuilderWrite(f + 2, 0, PageFlags.Entry(f + 3, rw));
        for (var i = 0; i < 32; i++)
        {
            _h.BuilderWrite(f + 3, i, PageFlags.Entry(f + 8 + (uint)i, rw));
        }

        _h.MmuextOp(0, [MmuExtOpRequest.Pin(4, f), MmuExtOpRequest.NewBaseptr(f)], out _);
        _s = _h.Snapshot();
    }

    [Benchmark]
    public HypervisorSnapshot Snapshot() => _h.Snapshot();

    [Benchmark]
    public void Restore() => _h.Restore(_s);

    [Benchmark]
    public ulong Fingerprint() => _h.Fingerprint();
}
