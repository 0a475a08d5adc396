using System.CommandLine;
using PvMmu.Sim.Reports;
using PvMmu.Sim.Workloads;
using PvMmu.Xen;

namespace PvMmu.Cli.Commands;

/// <summary><c>pvmmu sweep</c>: a workload's cost as the process grows, per strategy. Exit 2 on a finding.</summary>
public static class SweepCommand
{
    public static Command Create(TextWriter stdout, TextWriter stderr)
    {
        var workload = new Option<string>("--workload") { Description = "A workload with a size: " + string.Join(", ", Sweep.Sizable) + ".", DefaultValueFactory = _ => "teardown" };
        OptionValue.OneOf(workload, [.. Sweep.Sizable]);
        var pages = new Option<string>("--pages") { Description = "Sizes in pages: LO..HI (doubling) or a comma list; k = 1024, M = 1048576.", DefaultValueFactory = _ => "1k..64k" };
        var strategies = new Option<string>("--strategies") { Description = "Comma-separated strategies.", DefaultValueFactory = _ => "Linux61,NoExitUnpin" };
        var vcpus = RunCommand.VcpusOption();
        var seed = OptionValue.Seed("Fixes the interleaving and the vCPUs' roles.");
        var xen = RunCommand.XenOption();
        var json = new Option<bool>("--json") { Description = "Print JSON instead of a table." };
        var cost = CostOptions.Cost();
        var report = CostOptions.Report();
        var strategyFiles = StrategyFileOption.Several();
        var cmd = new Command("sweep", "The cost of a workload as the process grows, per strategy.")
        {
            workload, pages, strategies, vcpus, seed, xen, strategyFiles, json, cost, report,
        };
        cmd.SetAction(pr =>
        {
            IReadOnlyList<int> sizes;
            try
            {
                sizes = PageSizes.Parse(pr.GetValue(pages)!);
            }
            catch (FormatException e)
            {
                stderr.WriteLine($"pvmmu sweep: --pages: {e.Message}");
                return ExitCodes.BadInput;
            }

            var table = CostOptions.LoadCost(pr.GetValue(cost), stderr, "sweep");
            var list = CostOptions.ParseStrategies(pr.GetValue(strategies)!, stderr, "sweep");
            if (list is not null && StrategyFileOption.Load(pr.GetValue(strategyFiles), stderr) is { } mine)
            {
                list.AddRange(mine);
            }
            else
            {
                list = null;
            }

            if (table is null || list is null)
            {
                return ExitCodes.BadInput;
            }

            if (pr.GetValue(workload) == "lazy-exit" && pr.GetValue(vcpus) < 2)
            {
                stderr.WriteLine("pvmmu sweep: lazy-exit needs at least 2 vCPUs");
                return ExitCodes.BadInput;
            }

            XenRules.TryParse(pr.GetValue(xen)!, out var version);
            var s = pr.GetValue(seed);
            if (!pr.GetValue(json))
            {
                stdout.WriteLine($"seed {s}");
            }

            var sweep = ProgressBar.Run(stderr, $"sweep {pr.GetValue(workload)}", sizes.Count * list.Count, p => Sweep.Run(pr.GetValue(workload)!, pr.GetValue(vcpus), sizes, list, table, s, version, p));
            stdout.Write(pr.GetValue(json) ? sweep.Json() : sweep.TableText());
            if (pr.GetValue(report) is { } dir && !CostOptions.WriteReport(dir, sweep.ReportData(CostOptions.CommandLine(pr)), pr.GetValue(json) ? stderr : stdout, stderr, "sweep"))
            {
                return ExitCodes.BadInput;
            }

            return sweep.Findings > 0 ? ExitCodes.Finding : ExitCodes.Ok;
        });
        return cmd;
    }
}
