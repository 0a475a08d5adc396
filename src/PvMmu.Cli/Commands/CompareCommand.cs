using System.CommandLine;
using PvMmu.Sim.Inputs;
using PvMmu.Sim.Reports;
using PvMmu.Sim.Workloads;
using PvMmu.Xen;

namespace PvMmu.Cli.Commands;

/// <summary>
/// <c>pvmmu compare</c>: one workload under several strategies, side by side like an lmbench comparison: modeled µs
/// per phase and events, with deltas against the first strategy. Exit 2 when a strategy meets a finding.
/// </summary>
public static class CompareCommand
{
    public static Command Create(TextWriter stdout, TextWriter stderr)
    {
        var workload = new Option<string>("--workload") { Description = "A built-in workload: " + string.Join(", ", WorkloadCatalog.Names) + ".", DefaultValueFactory = _ => "kbuild" };
        OptionValue.OneOf(workload, [.. WorkloadCatalog.Names]);
        var strategies = new Option<string>("--strategies") { Description = "Comma-separated strategies; the first is the baseline.", DefaultValueFactory = _ => "Linux61,NoExitUnpin" };
        var vcpus = RunCommand.VcpusOption();
        var pages = RunCommand.PagesOption();
        var seed = OptionValue.Seed("Fixes the interleaving (and the built-in workloads' roles).");
        var xen = RunCommand.XenOption();
        var json = new Option<bool>("--json") { Description = "Print JSON instead of a table." };
        var cost = CostOptions.Cost();
        var report = CostOptions.Report();
        var strategyFiles = StrategyFileOption.Several();
        var scenario = CostOptions.Scenario();
        var platform = CostOptions.Platform();
        var cmd = new Command("compare", "Run one workload under several strategies and compare events and modeled time per phase.")
        {
            workload, strategies, platform, vcpus, pages, seed, xen, strategyFiles, json, cost, report, scenario,
        };
        cmd.SetAction(pr =>
        {
            if (pr.GetValue(scenario) is { } file && OptionValue.NotApplicable(pr, "compare", $"with --scenario: {Quote.Cut(file)} sets its own workload", workload, pages, vcpus) is { } refused)
            {
                stderr.WriteLine(refused);
                return ExitCodes.BadInput;
            }

            var table = CostOptions.LoadCost(pr.GetValue(cost), stderr, "compare");
            var list = CostOptions.ParseStrategies(pr.GetValue(strategies)!, stderr, "compare");
            if (list is not null && StrategyFileOption.Load(pr.GetValue(strategyFiles), stderr) is { } mine)
            {
                list.AddRange(mine);
            }
            else
            {
                list = null;
            }

            var platforms = CostOptions.ParsePlatforms(pr.GetValue(platform)!, stderr, "compare");
            var spec = platforms is null ? null : CostOptions.LoadWorkload(pr.GetValue(scenario), pr.GetValue(workload)!, pr.GetValue(vcpus), pr.GetValue(pages), pr.GetValue(seed), stderr, "compare");
            if (table is null || list is null || spec is null || platforms is null)
            {
                return ExitCodes.BadInput;
            }

            XenRules.TryParse(pr.GetValue(xen)!, out var version);
            var s = pr.GetValue(seed);
            if (!pr.GetValue(json))
            {
                stdout.WriteLine($"seed {s}");
                if (platforms.Contains(PvMmu.Linux.Boot.Platform.Native))
                {
                    stdout.WriteLine("native: one run on bare hardware, exiting by native exit_mmap (arch_exit_mmap is paravirt_nop); --strategies applies to xen-pv only");
                }
            }

            var runs = Comparison.RunCount(list.Count, platforms);
            var c = ProgressBar.Run(stderr, $"compare {spec.Name}", runs, p => Comparison.Run(spec, list, table, s, version, platforms, p));
            var versus = c.PlatformText();
            stdout.Write(pr.GetValue(json) ? c.Json() : c.TableText() + "\n" + (versus.Length == 0 ? string.Empty : versus + "\n") + c.BandText());
            if (pr.GetValue(report) is { } dir && !CostOptions.WriteReport(dir, c.ReportData(CostOptions.CommandLine(pr)), pr.GetValue(json) ? stderr : stdout, stderr, "compare"))
            {
                return ExitCodes.BadInput;
            }

            return Enumerable.Range(0, runs).Any(i => c.Findings(i) > 0) ? ExitCodes.Finding : ExitCodes.Ok;
        });
        return cmd;
    }
}
