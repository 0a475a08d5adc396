using System.Diagnostics;
using PvMmu.Linux.Exit;
using PvMmu.Sim.Validation;
using PvMmu.Sim.Workloads;

namespace PvMmu.Cli.Commands;

/// <summary>
/// <c>pvmmu validate --scenario FILE.yaml</c>: the scenario on the model against the same file run on the real dom0
/// by validation/real-xen/pvscen.c (<see cref="ScenarioValidation"/>), per phase, vCPU and tracepoint. The capture
/// is <c>--file</c>, or a fresh one (<c>--capture [FILE]</c>: capture.sh with SCENARIO= and one dom0 vCPU more than
/// the file's, for the driver), or the committed one for the scenario's name.
/// </summary>
internal static class ScenarioValidate
{
    /// <summary>The committed capture of scenario NAME, relative to the repository.</summary>
    public static string CommittedCapture(string name) => $"validation/real-xen/captures/linux-6.1-xen-4.17.scenario-{name}.json";

    public static int Run(string scenarioFile, string? file, bool recapture, string? keep, bool driverLines, bool json, IExitStrategy strategy, TextWriter stdout, TextWriter stderr)
    {
        WorkloadSpec spec;
        try
        {
            spec = WorkloadFile.Load(scenarioFile);
        }
        catch (ScenarioException e)
        {
            stderr.WriteLine(e.Message);
            return ExitCodes.BadInput;
        }

        if (DriverProgram.Unsupported(spec) is { } what)
        {
            stderr.WriteLine($"{scenarioFile}:1:1: the real-system driver (pvscen) cannot run {what} yet");
            return ExitCodes.BadInput;
        }

        var lines = DriverProgram.Lines(spec);
        if (driverLines)
        {
            stdout.Write(lines);
            return ExitCodes.Ok;
        }

        var path = file ?? ValidateCommand.Find(CommittedCapture(spec.Name));
        if (recapture)
        {
            var script = ValidateCommand.Find("validation/real-xen/capture.sh");
            if (script is null)
            {
                stderr.WriteLine($"pvmmu validate: --capture runs validation/real-xen/capture.sh, which was not found from {Directory.GetCurrentDirectory()} up; run it from the repository");
                return ExitCodes.BadInput;
            }

            var fresh = keep ?? Path.Combine(Path.GetTempPath(), $"pvmmu-capture-{Environment.ProcessId}.json");
            var linesFile = Path.Combine(Path.GetTempPath(), $"pvmmu-scenario-{Environment.ProcessId}.txt");
            File.WriteAllText(linesFile, lines);
            var psi = new ProcessStartInfo(script) { UseShellExecute = false };
            psi.Environment["OUT"] = Path.GetFullPath(fresh);
            psi.Environment["SCENARIO"] = linesFile;
            psi.Environment["WORKLOADS"] = "null";
            psi.Environment["DOM0_VCPUS"] = (spec.Vcpus + 1).ToString(System.Globalization.CultureInfo.InvariantCulture);
            int rc;
            try
            {
                using var p = Process.Start(psi);
                p!.WaitForExit();
                rc = p.ExitCode;
            }
            finally
            {
                File.Delete(linesFile);
            }

            if (rc != 0 || !File.Exists(fresh))
            {
                stderr.WriteLine($"pvmmu validate: {script} failed (exit {rc})");
                return ExitCodes.BadInput;
            }

            path = fresh;
        }

        if (path is null)
        {
            stderr.WriteLine($"pvmmu validate: no capture of scenario '{spec.Name}' ({CommittedCapture(spec.Name)} not found from {Directory.GetCurrentDirectory()} up); give --file or --capture");
            return ExitCodes.BadInput;
        }

        RealCapture real;
        List<ScenarioRow> rows;
        try
        {
            real = RealCapture.Load(path);
            rows = ScenarioValidation.Compare(spec, real, strategy);
        }
        catch (Exception e) when (e is IOException or InvalidDataException or UnauthorizedAccessException or FormatException or ScenarioException)
        {
            stderr.WriteLine($"pvmmu validate: {e.Message}");
            return ExitCodes.BadInput;
        }

        if (json)
        {
            ValidationJson.Write(stdout, real, spec.Name, strategy.Name, rows, static (w, r) =>
            {
                w.WriteString("phase", r.Phase);
                w.WriteNumber("vcpu", r.Cpu);
                w.WriteString("tracepoint", r.Key);
                w.WriteNumber("real", r.Real);
                w.WriteNumber("model", r.Model);
                w.WriteString("verdict", r.Verdict);
                w.WriteString("note", r.Note);
            });
        }
        else
        {
            stdout.Write(ScenarioValidation.Table(spec, real, rows, strategy.Name));
        }

        return rows.Any(r => r.Differs) ? ExitCodes.Finding : ExitCodes.Ok;
    }
}
