using System.Globalization;
using System.Text;
using PvMmu.Linux.Exit;
using PvMmu.Sim.Costs;
using PvMmu.Sim.Reports;
using PvMmu.Sim.Workloads;
using PvMmu.Xen;

namespace PvMmu.Cli.Commands;

/// <summary>
/// <c>pvmmu</c> with no arguments: the 2017 thread's question answered on the models. First what it costs: the
/// default mix (kbuild) under the exit paths that matter, priced by the calibrated table, with an HTML report. Then
/// whether it is safe: every schedule of the thread's scenario (a process exits while kernel threads on the other
/// vCPUs lazily borrow its mm) under every exit path, from the explorer (<see cref="SafetyHalf"/>), with the thread's
/// question answered from coverage. The deliberately broken variants are expected to fail; an upstream one failing is a finding.
/// </summary>
public static class DefaultJob
{
    public const int Pages = 4096;
    public const ulong Seed = 1;
    public const int MixVcpus = 2;

    private static readonly string[] Broken = ["BrokenNoDropMmRef", "BrokenCpumaskOnly"];

    /// <summary>The strategies the cost comparison shows: the thread's two sides first, then history.</summary>
    public static readonly string[] Compared = ["Linux61", "NoExitUnpin", "Linux413", "Linux411", "EarlyPinLateUnpin"];

    public const string ReportDir = "pvmmu-report";

    public static int Run(TextWriter stdout, TextWriter stderr, string reportDir = ReportDir)
    {
        var inv = CultureInfo.InvariantCulture;
        var sb = new StringBuilder();
        stdout.Write(string.Create(inv, $"seed {Seed}\n"));
        stdout.Write("PvMmu: is xen_exit_mmap worth keeping, and is its IPI right? (LKML, April 2017)\n\n");
        stdout.Write(string.Create(inv, $"1. What it costs: the default mix (kbuild: on each of {MixVcpus} vCPUs a make forks {WorkloadCatalog.KbuildJobsPerVcpu} compile jobs that exec gcc, then cc1 or as;\n"));
        stdout.Write("kernel threads borrow the last mm between jobs). NoExitUnpin is the thread's patch (xen_exit_mmap deleted).\n");
        var spec = WorkloadCatalog.Build("kbuild", MixVcpus, 0, Seed);
        var strategies = Compared.Select(n => ExitStrategies.Find(n)!).ToList();
        var c = ProgressBar.Run(stderr, "compare kbuild", strategies.Count, p => Comparison.Run(spec, strategies, CostTable.Default, Seed, XenVersion.Current, p));
        stdout.Write(c.TableText());
        var finding = Enumerable.Range(0, strategies.Count).Any(i => c.Findings(i) > 0);
        stdout.Write("\n2. Is it safe: ");
        stdout.Flush();
        finding |= SafetyHalf.Write(sb, [.. ExitStrategies.All.Where(s => s.Name != "EarlyPinLateUnpin").Select(s => s.Name)]);
        sb.Append(inv, $"\nEvents of one such exit (workload lazy-exit: {Pages} touched pages, 2 vCPUs, current Xen, one seeded schedule):\n\n");
        sb.Append(inv, $"{"strategy",-18}{"hypercalls",11}{"mc entries",11}{"ptwr traps",11}{"IPIs",6}{"CR3 loads",10}{"remote fl.",11}{"WARNs",7}{"oopses",8}\n");
        foreach (var s in ExitStrategies.All.Where(s => s.Name != "EarlyPinLateUnpin"))
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
        sb.Append("More: pvmmu compare --workload lat-proc-exec --strategies Linux61,NoExitUnpin;  pvmmu sweep --pages 1k..256k;\n");
        sb.Append("      pvmmu check --scenario lazy-exit --strategy BrokenCpumaskOnly;  pvmmu xen run examples/xen/seed-unpin-while-in-use.xen\n");
        stdout.Write(sb.ToString());
        if (!CostOptions.WriteReport(reportDir, c.ReportData("pvmmu"), stdout, stderr, ""))
        {
            return ExitCodes.BadInput;
        }

        return finding ? ExitCodes.Finding : ExitCodes.Ok;
    }
}
