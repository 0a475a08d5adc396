using BenchmarkDotNet.Attributes;
using PvMmu.Linux.Exit;
using PvMmu.Sim.Bench;
using PvMmu.Sim.Costs;
using PvMmu.Sim.Workloads;
using PvMmu.Xen;

namespace PvMmu.Bench;

/// <summary>
/// Whole workload runs, as <c>pvmmu run</c> and <c>pvmmu compare</c> do them (boot, setup, the interleaved programs,
/// the end-of-run invariant checks): the default mix that <c>pvmmu bench</c> reports as simulated/wall time, and
/// lmbench's lat_proc exec. The modeled µs each run stands for is printed once in the setup, so the ratio can be
/// read off the mean.
/// </summary>
[MemoryDiagnoser]
public class WorkloadBenchmarks
{
    private WorkloadSpec _mix = null!;
    private WorkloadSpec _exec = null!;

    [GlobalSetup]
    public void Setup()
    {
        _mix = WorkloadCatalog.Build(ThroughputBench.MixWorkload, ThroughputBench.MixVcpus, 0, 1);
        _exec = WorkloadCatalog.Build("lat-proc-exec", 1, 0, 1);
        var r = WorkloadRunner.Run(_mix, new Linux61(), 1, XenVersion.Current);
        var modeled = new ModeledTime(r.Events, CostTable.Default).Micros(0, r.Phases.Count - 1);
        Console.WriteLine($"// default mix: {modeled:0} modeled µs per run");
    }

    [Benchmark]
    public long DefaultMixKbuild2Vcpus() => WorkloadRunner.Run(_mix, new Linux61(), 1, XenVersion.Current).Total(PvMmu.Sim.Reports.Metric.Hypercalls);

    /// <summary>The same with the sink's per-task view on, as <c>pvmmu run --json</c> and <c>--trace-cmd</c> run it.</summary>
    [Benchmark]
    public long DefaultMixKbuild2VcpusPerTask() => WorkloadRunner.Run(_mix, new Linux61(), 1, XenVersion.Current, perTask: true).Total(PvMmu.Sim.Reports.Metric.Hypercalls);

    [Benchmark]
    public long LatProcExec() => WorkloadRunner.Run(_exec, new Linux61(), 1, XenVersion.Current).Total(PvMmu.Sim.Reports.Metric.Hypercalls);
}
