using System.CommandLine;
using PvMmu.Linux.Boot;
using PvMmu.Linux.Exit;
using PvMmu.Sim.Costs;
using PvMmu.Sim.Inputs;
using PvMmu.Sim.Outputs;
using PvMmu.Sim.Reports;
using PvMmu.Sim.Workloads;
using PvMmu.Xen;

namespace PvMmu.Cli.Commands;

/// <summary>
/// <c>pvmmu run</c>: a workload on the guest and hypervisor models, counted per phase and priced by the cost table;
/// optionally a Perfetto trace and an HTML report.
/// </summary>
public static class RunCommand
{
    public static Option<int> VcpusOption()
    {
        var vcpus = new Option<int>("--vcpus") { Description = "vCPUs, 1 to 64.", DefaultValueFactory = _ => 2 };
        OptionValue.Require(vcpus, v => v is >= 1 and <= 64, "--vcpus must be from 1 to 64");
        return vcpus;
    }

    public static Option<int> PagesOption()
    {
        var pages = new Option<int>("--pages") { Description = "Pages the process maps and touches (single-heap workloads), 1 to 4M; k, M suffixes.", DefaultValueFactory = _ => WorkloadCatalog.DefaultPages, HelpName = "N" };
        pages.CustomParser = r =>
        {
            var given = r.Tokens.Count == 0 ? string.Empty : r.Tokens[0].Value;
            if (Sizes.TryParse(given, 1, PageSizes.Max, out var n))
            {
                return (int)n;
            }

            r.AddError($"--pages: expected a page count from 1 to 4M (a number with an optional k or M suffix), got '{Quote.Cut(given)}'");
            return 0;
        };
        return pages;
    }

    public static Option<string> XenOption()
    {
        var xen = new Option<string>("--xen") { Description = "current (default) or 4.8.", DefaultValueFactory = _ => "current" };
        OptionValue.OneOf(xen, "current", "4.17", "4.8");
        return xen;
    }

    public static Command Create(TextWriter stdout, TextWriter stderr)
    {
        var workload = new Option<string>("--workload")
        {
            Description = "A built-in workload: " + string.Join(", ", WorkloadCatalog.Names) + ".",
            DefaultValueFactory = _ => "lazy-exit",
        };
        OptionValue.OneOf(workload, [.. WorkloadCatalog.Names]);
        var strategy = new Option<string>("--strategy")
        {
            Description = "The exit path: " + ExitStrategies.Names + ".",
            DefaultValueFactory = _ => "Linux61",
        };
        OptionValue.OneOf(strategy, [.. ExitStrategies.All.Select(s => s.Name)]);
        var vcpus = VcpusOption();
        var pages = PagesOption();
        var seed = OptionValue.Seed("Fixes the interleaving (and the built-in workloads' roles).");
        var xen = XenOption();
        var json = new Option<bool>("--json") { Description = "Print JSON instead of a table." };
        var cost = CostOptions.Cost();
        var report = CostOptions.Report();
        var scenario = CostOptions.Scenario();
        var trace = new Option<string?>("--trace") { Description = "Write a Chrome/Perfetto trace (JSON) of the run, on the modeled clock." };
        var traceCmd = new Option<bool>("--trace-cmd")
        {
            Description = "Print the xen:* tracepoint counts per phase, task and vCPU as `trace-cmd report | awk -f validation/real-xen/tracecmd-count.awk | LC_ALL=C sort | uniq -c` prints them, instead of the table.",
        };
        var strategyFile = StrategyFileOption.One();
        var platform = new Option<string>("--platform")
        {
            Description = "xen-pv (default) or native: the same workload on bare hardware (native pv_ops; --strategy does not apply, the exit is native).",
            DefaultValueFactory = _ => "xen-pv",
        };
        OptionValue.OneOf(platform, "xen-pv", "native");
        var cmd = new Command("run", "Run a workload and print its event counts and modeled time per phase; exit 2 on a WARN, an oops or a broken invariant.")
        {
            workload, strategy, strategyFile, platform, vcpus, pages, seed, xen, json, cost, report, scenario, trace, traceCmd,
        };
        cmd.SetAction(pr =>
        {
            if (pr.GetValue(scenario) is { } file && OptionValue.NotApplicable(pr, "run", $"with --scenario: {Quote.Cut(file)} sets its own workload", workload, pages, vcpus) is { } refused)
            {
                stderr.WriteLine(refused);
                return ExitCodes.BadInput;
            }

            if (pr.GetValue(json) && pr.GetValue(traceCmd))
            {
                stderr.WriteLine("pvmmu run: --trace-cmd and --json each replace the table; give one (the JSON has the same counts under \"events\")");
                return ExitCodes.BadInput;
            }

            var table = CostOptions.LoadCost(pr.GetValue(cost), stderr, "run");
            var spec = CostOptions.LoadWorkload(pr.GetValue(scenario), pr.GetValue(workload)!, pr.GetValue(vcpus), pr.GetValue(pages), pr.GetValue(seed), stderr, "run");
            var exitPath = table is null || spec is null ? null : StrategyFileOption.Choose(pr, strategyFile, strategy, stderr, "run");
            if (table is null || spec is null || exitPath is null)
            {
                return ExitCodes.BadInput;
            }

            XenRules.TryParse(pr.GetValue(xen)!, out var version);
            var s = pr.GetValue(seed);
            var recorder = pr.GetValue(trace) is null ? null : new RunTrace(table);
            var perTask = pr.GetValue(json) || pr.GetValue(traceCmd) || recorder is not null;
            var on = pr.GetValue(platform) == "native" ? Platform.Native : Platform.XenPv;
            var result = WorkloadRunner.Run(spec, exitPath, s, version, false, 0, recorder is null ? null : recorder.Observe, perTask, on);
            var time = new ModeledTime(result.Events, table);
            if (pr.GetValue(json))
            {
                stdout.Write(RunReport.Json(result, time));
            }
            else if (pr.GetValue(traceCmd))
            {
                stdout.Write(TracepointReport.TraceCmd(result));
            }
            else
            {
                stdout.WriteLine($"seed {result.Seed}");
                stdout.Write(RunReport.Table(result, time));
            }

            var info = pr.GetValue(json) || pr.GetValue(traceCmd) ? stderr : stdout;
            if (recorder is not null)
            {
                var path = pr.GetValue(trace)!;
                try
                {
                    AtomicFile.WriteAllText(path, recorder.ToJson($"pvmmu run {spec.Name} {result.Strategy} seed {s}"));
                    info.WriteLine($"trace: {Path.GetFullPath(path)}");
                }
                catch (IOException e)
                {
                    stderr.WriteLine($"pvmmu run: --trace: {e.Message}");
                    return ExitCodes.BadInput;
                }
            }

            if (pr.GetValue(report) is { } dir)
            {
                var c = Comparison.Run(spec, [exitPath], table, s, version, [on]);
                if (!CostOptions.WriteReport(dir, c.ReportData(CostOptions.CommandLine(pr)), info, stderr, "run"))
                {
                    return ExitCodes.BadInput;
                }
            }

            return result.WarningList.Count > 0 || result.Oopses.Count > 0 || result.GuestViolations.Count > 0 || result.XenViolations.Count > 0
                ? ExitCodes.Finding
                : ExitCodes.Ok;
        });
        return cmd;
    }
}
