using BenchmarkDotNet.Attributes;
using PvMmu.Linux;
using PvMmu.Linux.Boot;
using PvMmu.Linux.Exit;
using PvMmu.Linux.Mm;
using PvMmu.Linux.Pvops;

namespace PvMmu.Bench;

/// <summary>
/// Simulated fork + exit cycles of a 1 GiB process (262,144 touched pages) under the upstream exit path: dup_mmap
/// copies every PTE into the child (queued updates) and pins it; the child then exits on another vCPU (xen_exit_mmap:
/// unpin, plain-store teardown) and its lazy reference is dropped. The parent's PTEs are read-only after the first
/// fork, as after any COW fork.
/// </summary>
[MemoryDiagnoser]
public class ForkExitBenchmarks
{
    private const int Pages = 512 * 512;
    private readonly Linux61 _strategy = new();
    private Kernel _k = null!;
    private int _parent;

    [GlobalSetup]
    public void Setup()
    {
        _k = Kernel.Boot(new KernelConfig { Vcpus = 2, Frames = (2 * Pages) + (Pages / 128) + 2048 });
        _parent = MmOps.CreateMm(_k, 0);
        MmOps.MapAnonymous(_k, _parent, 0x40_0000_0000UL, Pages);
        MmOps.TouchAll(_k, 0, _parent);
        Pinning.PgdPin(_k, 0, _k.Mms.Pgd[_parent]);
        MmOps.SwitchMm(_k, 0, _parent);
        ForkAndExit();
        if (_k.Mc.Warnings.Count != 0 || _k.Oopses.Count != 0)
        {
            throw new InvalidOperationException("the fork+exit cycle warned or oopsed");
        }
    }

    [Benchmark]
    public int ForkAndExit()
    {
        var child = ForkExec.Fork(_k, 0, _parent, new Linux61());
        MmOps.SwitchMm(_k, 1, child);
        ExitPath.ExitMm(_k, 1, child, _strategy);
        MmOps.SwitchMm(_k, 1, 0);
        ExitPath.MmDrop(_k, 1, child, _strategy);
        return child;
    }
}
