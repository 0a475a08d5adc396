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
/// Strategy files (<c>pvmmu --strategy-file FILE.cs</c>) go beside the built-ins in both halves; theirs failing is a finding.
/// </summary>
public static class DefaultJob
{
    public const int Pages = 4096;
    public const ulong Seed = 1;
    public const int MixVcpus = 2;


    /// <summary>The strategies the cost comparison shows: the thread's two sides first, then history.</summary>
    public static readonly string[] Compared = ["Linux61", "NoExitUnpin", "Linux413", "Linux411", "EarlyPinLateUnpin"];

    public const string ReportDir = "pvmmu-report";

    public static int Run(TextWriter stdout, TextWriter stderr, string reportDir = ReportDir, IReadOnlyList<IExitStrategy>? mine = null)
    {
        var inv = CultureInfo.InvariantCulture;
        var sb = new StringBuilder();
        stdout.Write(string.Create(inv, $"seed {Seed}\n"));
        stdout.Write("PvMmu: is xen_exit_mmap worth keeping, and is its IPI right? (LKML, April 2017)\n\n");
        stdout.Write(string.Create(inv, $"1. What it costs: the default mix (kbuild: on each of {MixVcpus} vCPUs a make forks\n{WorkloadCatalog.KbuildJobsPerVcpu} compile jobs that exec gcc, then cc1 or as, which compute; the exec moves\n"));
        stdout.Write("the job to the other vCPU, whose kernel thread keeps the driver's mm lazily).\nNoExitUnpin is the thread's patch (xen_exit_mmap deleted).\n");
        var spec = WorkloadCatalog.Build("kbuild", MixVcpus, 0, Seed);
        var strategies = Compared.Select(n => ExitStrategies.Find(n)!).Concat(mine ?? []).ToList();
        var c = ProgressBar.Run(stderr, "compare kbuild", strategies.Count, p => Comparison.Run(spec, strategies, CostTable.Default, Seed, XenVersion.Current, p));
        stdout.Write(PhaseTable(c));
        stdout.Write('\n' + c.BandText());
        stdout.Write("(events and the time per event: pvmmu compare --workload kbuild --strategies\n");
        stdout.Write($" {string.Join(',', Compared)})\n");
        var finding = Enumerable.Range(0, strategies.Count).Any(i => c.Findings(i) > 0);
        stdout.Write("\n2. Is it safe: ");
        stdout.Flush();
        var (unsafeFinding, safety) = SafetyHalf.Write(sb, [.. ExitStrategies.All.Where(s => s.Name != "EarlyPinLateUnpin").Concat(mine ?? [])]);
        finding |= unsafeFinding;
        sb.Append(inv, $"\nEvents of one such exit ({Pages} touched pages, 2 vCPUs, current Xen, one\nseeded schedule):\n\n");
        sb.Append(inv, $"{"strategy",-18}{"hcalls",7}{"mc ent.",8}{"ptwr",6}{"IPIs",5}{"CR3",5}{"rem.fl.",8}{"WARNs",6}{"oopses",7}\n");
        foreach (var s in ExitStrategies.All.Where(s => s.Name != "EarlyPinLateUnpin").Concat(mine ?? []))
        {
            var r = WorkloadRunner.Run("lazy-exit", s, 2, Pages, Seed, XenVersion.Current, checkEveryMove: false);
            const int exit = 4;
            var failed = r.WarningList.Count > 0 || r.Oopses.Count > 0 || r.GuestViolations.Count > 0 || r.XenViolations.Count > 0;
            sb.Append(inv, $"{s.Name,-18}{r.Get(exit, Metric.Hypercalls),7}{r.Get(exit, Metric.MulticallEntries),8}{r.Get(exit, Metric.PtwrEmulations),6}{r.Get(exit, Metric.Ipis),5}{r.Get(exit, Metric.Cr3Loads),5}{r.Get(exit, Metric.RemoteFlushes),8}{r.WarningList.Count,6}{r.Oopses.Count,7}\n");
            finding |= failed && !SafetyHalf.Broken.Contains(s.Name);
        }

        sb.Append('\n');
        sb.Append("Without xen_exit_mmap (NoExitUnpin) every present PTE clear traps into Xen and\n");
        sb.Append("is emulated; with it the teardown is plain stores after one unpin batch, at the\n");
        sb.Append("price of an IPI to each vCPU still on the mm. The broken variants show why the\n");
        sb.Append("IPI mask must come from xen_current_cr3: their unpin is refused (WARN) and the\n");
        sb.Append("kernel then faults on its own page tables.\n\n");
        sb.Append("More: pvmmu compare --workload lat-proc-exec --strategies Linux61,NoExitUnpin\n");
        sb.Append("      pvmmu sweep --pages 1k..256k\n");
        sb.Append("      pvmmu check --scenario lazy-exit --strategy BrokenCpumaskOnly\n");
        stdout.Write(sb.ToString());
        if (!CostOptions.WriteReport(reportDir, c.ReportData("pvmmu"), stdout, stderr, ""))
        {
            return ExitCodes.BadInput;
        }

        stdout.Write('\n' + CostVerdict(c) + '\n' + SafetyVerdict(safety) + '\n');
        return finding ? ExitCodes.Finding : ExitCodes.Ok;
    }

    /// <summary>
    /// The mix's modeled time per phase, one row per strategy (so it fits 80 columns however many are compared),
    /// with the total's difference from the first.
    /// </summary>
    internal static string PhaseTable(Comparison c)
    {
        var inv = CultureInfo.InvariantCulture;
        var sb = new StringBuilder();
        var phases = c.Runs[0].Phases;
        sb.Append(inv, $"workload {c.Spec.Name}, {c.Spec.Vcpus} vCPUs, Xen {c.Xen}, cost table {c.Table.Name}\n\n");
        sb.Append(inv, $"{"modeled µs",-18}");
        for (var p = Comparison.FirstPhase; p < phases.Count; p++)
        {
            sb.Append(inv, $"{phases[p],9}");
        }

        sb.Append(inv, $"{"total",10}{"Δ total",9}\n");
        for (var s = 0; s < c.Runs.Count; s++)
        {
            sb.Append(inv, $"{c.Runs[s].Strategy,-18}");
            for (var p = Comparison.FirstPhase; p < phases.Count; p++)
            {
                sb.Append(c.Times[s].PhaseMicros(p).ToString("0", inv).PadLeft(9));
            }

            var delta = 100 * (c.TotalMicros(s) - c.TotalMicros(0)) / c.TotalMicros(0);
            sb.Append(c.TotalMicros(s).ToString("0", inv).PadLeft(10));
            sb.Append((s == 0 ? "-" : delta.ToString("+0.0;-0.0;0.0", inv) + "%").PadLeft(9)).Append('\n');
        }

        return sb.ToString();
    }

    /// <summary>
    /// The cost question in one line: the cheapest strategy without a finding on the mix, and by how much it beats
    /// the thread's two sides (Linux61 and NoExitUnpin, the first two compared) where it is neither.
    /// </summary>
    /// <summary>How far below <paramref name="next"/> the cheapest is, in %, over the price intervals, with its robustness word.</summary>
    private static string MarginBand(Comparison c, int best, int next)
    {
        var last = c.Runs[0].Phases.Count - 1;
        var band = PriceBand.Of(c.Table, ns =>
        {
            var n = c.Times[next].MicrosAt(ns, Comparison.FirstPhase, last);
            return 100 * (n - c.Times[best].MicrosAt(ns, Comparison.FirstPhase, last)) / n;
        });
        return PriceBand.DeltaText(band).Replace(" % to ", " to ", StringComparison.Ordinal);
    }

    internal static string CostVerdict(Comparison c)
    {
        var inv = CultureInfo.InvariantCulture;
        var clean = Enumerable.Range(0, c.Runs.Count).Where(i => c.Findings(i) == 0).ToList();
        if (clean.Count == 0)
        {
            return "cost: every strategy compared has a finding; none is cheapest";
        }

        var best = clean.OrderBy(c.TotalMicros).ThenBy(i => i).First();
        var ties = clean.Where(i => i != best && c.TotalMicros(i) == c.TotalMicros(best)).Select(i => c.Runs[i].Strategy).ToList();
        var next = clean.Where(i => c.TotalMicros(i) > c.TotalMicros(best)).OrderBy(c.TotalMicros).ThenBy(i => i).FirstOrDefault(-1);
        var who = string.Join(" = ", [c.Runs[best].Strategy, .. ties]);
        var margin = next < 0
            ? "every other strategy costs the same"
            : string.Create(inv, $"{100 * (c.TotalMicros(next) - c.TotalMicros(best)) / c.TotalMicros(next):0.0} % below {c.Runs[next].Strategy} ({c.TotalMicros(next):0} µs; band {MarginBand(c, best, next)})");
        return string.Create(inv, $"cost: {who} is cheapest on {c.Spec.Name} ({c.TotalMicros(best):0} µs), {margin}");
    }

    /// <summary>The safety question in one line: which exit paths held, which did not, and the command that shows why.</summary>
    internal static string SafetyVerdict(IReadOnlyList<(string Strategy, bool Safe)> results)
    {
        var safe = results.Where(r => r.Safe).Select(r => r.Strategy).ToList();
        var unsafeOnes = results.Where(r => !r.Safe).Select(r => r.Strategy).ToList();
        return unsafeOnes.Count == 0
            ? $"safety: every exit path held ({string.Join(", ", safe)})"
            : $"safety: safe: {string.Join(", ", safe)}; NOT safe: {string.Join(", ", unsafeOnes)}; counterexample: pvmmu check --scenario lazy-exit --strategy {unsafeOnes[0]}";
    }
}
