using System.CommandLine;
using System.Diagnostics;
using PvMmu.Linux.Exit;
using PvMmu.Sim.Validation;

namespace PvMmu.Cli.Commands;

/// <summary>
/// <c>pvmmu validate</c>: the model (Linux61, current Xen rules) against the committed capture of a real Linux 6.1 PV
/// dom0 on Xen 4.17 (validation/real-xen), per workload, phase and tracepoint; with <c>--capture</c>, the real system
/// is captured again first. Exit 2 when a count the model claims to model differs beyond the capture's own noise.
/// </summary>
public static class ValidateCommand
{
    public const string DefaultCapture = "validation/real-xen/captures/linux-6.1-xen-4.17.json";

    public static Command Create(TextWriter stdout, TextWriter stderr)
    {
        var file = new Option<string?>("--file") { Description = "The capture to compare with (default: the committed one, found from the current directory up)." };
        var capture = new Option<string?>("--capture")
        {
            Description = "Rerun the real system first (validation/real-xen/capture.sh: root, a few minutes) and compare with that; with a FILE, the fresh capture is kept there.",
            Arity = ArgumentArity.ZeroOrOne,
        };
        var scenario = new Option<string?>("--scenario") { Description = "A workload scenario file (YAML): compare the model's counts per phase and vCPU with the file run on the real dom0 by validation/real-xen/pvscen.c." };
        var driverLines = new Option<bool>("--driver-lines") { Description = "With --scenario: print the scenario in pvscen's line format and exit." };
        var json = new Option<bool>("--json") { Description = "Print JSON instead of a table." };
        var strategyOpt = new Option<string>("--strategy")
        {
            Description = "The exit path the model runs: Linux61 for a stock kernel; the strategy that models a patched kernel's change for its capture (validation/real-xen/kernel).",
            DefaultValueFactory = _ => "Linux61",
        };
        var cmd = new Command("validate", "Compare the model's xen:* tracepoint counts with a real Xen and Linux PV guest's.") { file, capture, json, strategyOpt, scenario, driverLines };
        cmd.SetAction(pr =>
        {
            var strategyName = pr.GetValue(strategyOpt)!;
            if (ExitStrategies.Find(strategyName) is not { } strategy)
            {
                stderr.WriteLine($"pvmmu validate: --strategy: expected one of {ExitStrategies.Names}; got '{strategyName}'");
                return ExitCodes.BadInput;
            }

            var recapture = pr.GetResult(capture) is not null;
            if (pr.GetValue(scenario) is { } scenarioFile)
            {
                return ScenarioValidate.Run(scenarioFile, pr.GetValue(file), recapture, pr.GetValue(capture), pr.GetValue(driverLines), pr.GetValue(json), strategy, stdout, stderr);
            }

            // Outside the repository the committed captures come from inside the tool.
            var path = pr.GetValue(file) ?? Find(DefaultCapture);
            if (path is null && recapture)
            {
                stderr.WriteLine($"pvmmu validate: --capture runs validation/real-xen/capture.sh, which was not found from {Directory.GetCurrentDirectory()} up; run it from the repository");
                return ExitCodes.BadInput;
            }

            if (recapture)
            {
                var script = Path.Combine(Path.GetDirectoryName(Path.GetDirectoryName(path)!)!, "capture.sh");
                var fresh = pr.GetValue(capture) ?? Path.Combine(Path.GetTempPath(), $"pvmmu-capture-{Environment.ProcessId}.json");
                var psi = new ProcessStartInfo(script) { UseShellExecute = false };
                psi.Environment["OUT"] = fresh;
                using var p = Process.Start(psi);
                p!.WaitForExit();
                if (p.ExitCode != 0 || !File.Exists(fresh))
                {
                    stderr.WriteLine($"pvmmu validate: {script} failed (exit {p.ExitCode})");
                    return ExitCodes.BadInput;
                }

                path = fresh;
            }

            RealCapture real;
            List<ValidationRow> rows;
            try
            {
                real = path is null ? RealCapture.Embedded(Path.GetFileName(DefaultCapture))! : RealCapture.Load(path);

                // The real system's run-to-run noise is measured once, between the committed capture and a second
                // boot of it; a fresh capture (--capture, or CI's) is held to the same band.
                var committed = Find(DefaultCapture);
                var repeatName = Path.ChangeExtension(DefaultCapture, ".repeat.json");
                var (repeat, reference) = committed is null
                    ? (RealCapture.Embedded(Path.GetFileName(repeatName)), RealCapture.Embedded(Path.GetFileName(DefaultCapture)))
                    : File.Exists(Path.ChangeExtension(committed, ".repeat.json"))
                    ? (RealCapture.Load(Path.ChangeExtension(committed, ".repeat.json")), RealCapture.Load(committed))
                    : (null, null);
                rows = repeat is not null && reference is not null ? PvtestValidation.Compare(real, repeat, reference, strategy) : PvtestValidation.Compare(real, strategy: strategy);
            }
            catch (Exception e) when (e is IOException or InvalidDataException or UnauthorizedAccessException or FormatException)
            {
                stderr.WriteLine($"pvmmu validate: {e.Message}");
                return ExitCodes.BadInput;
            }

            if (pr.GetValue(json))
            {
                ValidationJson.Write(stdout, real, null, strategy.Name, rows, static (w, r) =>
                {
                    w.WriteString("workload", r.Workload);
                    w.WriteString("phase", r.Phase);
                    w.WriteString("tracepoint", r.Key);
                    w.WriteNumber("real", r.Real);
                    w.WriteNumber("model", r.Model);
                    w.WriteString("verdict", r.Verdict);
                });
            }
            else
            {
                stdout.Write(PvtestValidation.Table(real, rows, strategy.Name));
            }

            return rows.Any(r => r.Differs) ? ExitCodes.Finding : ExitCodes.Ok;
        });
        return cmd;
    }

    /// <summary>A repository-relative path, looked for from the current directory up.</summary>
    internal static string? Find(string relative)
    {
        for (var d = new DirectoryInfo(Directory.GetCurrentDirectory()); d is not null; d = d.Parent)
        {
            var p = Path.Combine(d.FullName, relative);
            if (File.Exists(p))
            {
                return p;
            }
        }

        return null;
    }
}
