using System.CommandLine;
using PvMmu.Linux.Exit;
using PvMmu.Sim.Reports;
using PvMmu.Sim.Workloads;
using PvMmu.Xen;

namespace PvMmu.Cli.Commands;

/// <summary><c>pvmmu run</c>: a built-in workload on the guest and hypervisor models, counted per phase.</summary>
public static class RunCommand
{
    public static Command Create(TextWriter stdout, TextWriter stderr)
    {
        var workload = new Option<string>("--workload")
        {
            Description = "fork-exit, fork-exec-exit, teardown or lazy-exit.",
            DefaultValueFactory = _ => "lazy-exit",
        };
        workload.AcceptOnlyFromAmong([.. WorkloadRunner.Names]);
        var strategy = new Option<string>("--strategy")
        {
            Description = "The exit path: " + ExitStrategies.Names + ".",
            DefaultValueFactory = _ => "Linux61",
        };
        strategy.AcceptOnlyFromAmong([.. ExitStrategies.All.Select(s => s.Name)]);
        var vcpus = new Option<int>("--vcpus") { Description = "vCPUs, 1 to 64.", DefaultValueFactory = _ => 2 };
        vcpus.Validators.Add(r =>
        {
            if (r.GetValueOrDefault<int>() is < 1 or > 64)
            {
                r.AddError("--vcpus must be from 1 to 64");
            }
        });
        var pages = new Option<int>("--pages") { Description = "Pages the process maps and touches.", DefaultValueFactory = _ => 1024 };
        pages.Validators.Add(r =>
        {
            if (r.GetValueOrDefault<int>() is < 1 or > 4 * 1024 * 1024)
            {
                r.AddError("--pages must be from 1 to 4194304");
            }
        });
        var seed = new Option<ulong>("--seed") { Description = "Chooses the vCPUs that play each part.", DefaultValueFactory = _ => 1 };
        var xen = new Option<string>("--xen") { Description = "current (default) or 4.8.", DefaultValueFactory = _ => "current" };
        xen.AcceptOnlyFromAmong("current", "4.17", "4.8");
        var json = new Option<bool>("--json") { Description = "Print JSON instead of a table." };
        var cmd = new Command("run", "Run a built-in workload and print its event counts per phase; exit 2 on a WARN, an oops or a broken invariant.")
        {
            workload, strategy, vcpus, pages, seed, xen, json,
        };
        cmd.SetAction(pr =>
        {
            XenRules.TryParse(pr.GetValue(xen)!, out var version);
            RunResult result;
            try
            {
                result = WorkloadRunner.Run(pr.GetValue(workload)!, ExitStrategies.Find(pr.GetValue(strategy)!)!, pr.GetValue(vcpus), pr.GetValue(pages), pr.GetValue(seed), version);
            }
            catch (ArgumentException e)
            {
                stderr.WriteLine($"pvmmu run: {e.Message}");
                return ExitCodes.BadInput;
            }

            if (pr.GetValue(json))
            {
                stdout.Write(RunReport.Json(result));
            }
            else
            {
                stdout.WriteLine($"seed {result.Seed}");
                stdout.Write(RunReport.Table(result));
            }

            return result.WarningList.Count > 0 || result.Oopses.Count > 0 || result.GuestViolations.Count > 0 || result.XenViolations.Count > 0
                ? ExitCodes.Finding
                : ExitCodes.Ok;
        });
        return cmd;
    }
}
