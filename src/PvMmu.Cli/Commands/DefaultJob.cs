using System.Globalization;
using System.Text;
using PvMmu.Linux.Exit;
using PvMmu.Sim.Reports;
using PvMmu.Sim.Workloads;
using PvMmu.Xen;

namespace PvMmu.Cli.Commands;

/// <summary>
/// <c>pvmmu</c> with no arguments: the 2017 thread's question on the models — a process exits while a kernel thread
/// on another vCPU still borrows its mm — answered for every exit path: what each costs in events, and which ones
/// fail. The deliberately broken variants are expected to fail; an upstream one failing is a finding.
/// </summary>
public static class DefaultJob
{
    public const int Pages = 4096;
    public const ulong Seed = 1;

    private static readonly string[] Broken = ["BrokenNoDropMmRef", "BrokenCpumaskOnly"];

    public static int Run(TextWriter stdout)
    {
        var inv = CultureInfo.InvariantCulture;
        var sb = new StringBuilder();
        sb.Append(inv, $"seed {Seed}\n");
        sb.Append("PvMmu: is xen_exit_mmap worth keeping, and is its IPI right? (LKML, April 2017)\n");
        sb.Append(inv, $"A process of {Pages} touched pages exits on one vCPU while a kernel thread on the other still borrows its mm\n");
        sb.Append("(workload lazy-exit, 2 vCPUs, current Xen). Events of the exit:\n\n");
        sb.Append(inv, $"{"strategy",-18}{"hypercalls",11}{"mc entries",11}{"ptwr traps",11}{"IPIs",6}{"CR3 loads",10}{"remote fl.",11}{"WARNs",7}{"oopses",8}\n");
        var finding = false;
        foreach (var s in ExitStrategies.All)
        {
            var r = WorkloadRunner.Run("lazy-exit", s, 2, Pages, Seed, XenVersion.Current, checkEveryMove: false);
            const int exit = 4;
            sb.Append(inv, $"{s.Name,-18}{r.Get(exit, Metric.Hypercalls),11}{r.Get(exit, Metric.MulticallEntries),11}{r.Get(exit, Metric.PtwrEmulations),11}{r.Get(exit, Metric.Ipis),6}{r.Get(exit, Metric.Cr3Loads),10}{r.Get(exit, Metric.RemoteFlushes),11}{r.WarningList.Count,7}{r.Oopses.Count,8}\n");
            var failed = r.WarningList.Count > 0 || r.Oopses.Count > 0 || r.GuestViolations.Count > 0 || r.XenViolations.Count > 0;
            finding |= failed && !Broken.Contains(s.Name);
        }

        sb.Append('\n');
        sb.Append("Without xen_exit_mmap (NoExitUnpin) every present PTE clear traps into Xen and is emulated; with it the\n");
        sb.Append("teardown is plain stores after one unpin batch, at the price of an IPI to each vCPU still on the mm.\n");
        sb.Append("The broken variants show why the IPI mask must come from xen_current_cr3: their unpin is refused (WARN)\n");
        sb.Append("and the kernel then faults on its own page tables.\n\n");
        sb.Append("More: pvmmu run --workload W --strategy S [--json];  pvmmu xen run examples/xen/seed-unpin-while-in-use.xen\n");
        stdout.Write(sb.ToString());
        return finding ? ExitCodes.Finding : ExitCodes.Ok;
    }
}
