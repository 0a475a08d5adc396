using System.CommandLine;
using PvMmu.Linux.Exit;
using PvMmu.Sim.Costs;
using PvMmu.Sim.Reports;
using PvMmu.Sim.Workloads;

namespace PvMmu.Cli.Commands;

/// <summary>
/// What the cost commands (run, compare, sweep) share: the <c>--cost</c> table, the strategy list, the
/// <c>--scenario</c> file, and the report directory, each read or written with one clear line on failure.
/// </summary>
public static class CostOptions
{
    public static Option<string?> Cost() => new("--cost") { Description = "A cost table (TOML) to price events with; prices it leaves out keep the built-in values." };

    public static Option<string?> Report() => new("--report") { Description = "Write a static HTML report with plots into this directory." };

    public static Option<string?> Scenario() => new("--scenario") { Description = "A workload scenario file (YAML) instead of a built-in workload." };

    /// <summary>The cost table a command asked for; null (and one line on stderr) when it cannot be read.</summary>
    public static CostTable? LoadCost(string? path, TextWriter stderr, string command)
    {
        if (path is null)
        {
            return CostTable.Default;
        }

        try
        {
            return CostTable.Load(path);
        }
        catch (CostTableException e)
        {
            stderr.WriteLine($"pvmmu {command}: {e.Message}");
            return null;
        }
    }

    /// <summary>The <c>--platform</c> option: a comma-separated list of native and xen-pv, the first the baseline.</summary>
    public static Option<string> Platform() => new("--platform")
    {
        Description = "Comma-separated platforms, the first the baseline: xen-pv (a Xen PV guest, each strategy), native (the same workload on bare hardware: native pv_ops, no pinning, multicalls or hypercalls; the exit strategies do not apply).",
        DefaultValueFactory = _ => "xen-pv",
    };

    /// <summary>A comma-separated platform list; null (and one line on stderr) for an unknown or repeated name.</summary>
    public static List<PvMmu.Linux.Boot.Platform>? ParsePlatforms(string list, TextWriter stderr, string command)
    {
        var result = new List<PvMmu.Linux.Boot.Platform>();
        foreach (var raw in list.Split(','))
        {
            var name = raw.Trim();
            PvMmu.Linux.Boot.Platform p;
            if (string.Equals(name, "native", StringComparison.OrdinalIgnoreCase))
            {
                p = PvMmu.Linux.Boot.Platform.Native;
            }
            else if (string.Equals(name, "xen-pv", StringComparison.OrdinalIgnoreCase))
            {
                p = PvMmu.Linux.Boot.Platform.XenPv;
            }
            else
            {
                stderr.WriteLine($"pvmmu {command}: --platform: unknown platform '{name}'; valid: native, xen-pv");
                return null;
            }

            if (result.Contains(p))
            {
                stderr.WriteLine($"pvmmu {command}: --platform: '{name}' is listed twice");
                return null;
            }

            result.Add(p);
        }

        return result;
    }

    /// <summary>A comma-separated strategy list; null (and one line on stderr) for an unknown or repeated name.</summary>
    public static List<IExitStrategy>? ParseStrategies(string list, TextWriter stderr, string command)
    {
        var result = new List<IExitStrategy>();
        foreach (var raw in list.Split(','))
        {
            var name = raw.Trim();
            var s = ExitStrategies.Find(name);
            if (s is null)
            {
                stderr.WriteLine($"pvmmu {command}: --strategies: unknown strategy '{name}'; valid: {ExitStrategies.Names}");
                return null;
            }

            if (result.Contains(s))
            {
                stderr.WriteLine($"pvmmu {command}: --strategies: '{name}' is listed twice");
                return null;
            }

            result.Add(s);
        }

        return result;
    }

    /// <summary>A workload from a scenario file or the built-in list; null (and one line on stderr) on bad input.</summary>
    public static WorkloadSpec? LoadWorkload(string? scenario, string workload, int vcpus, int pages, ulong seed, TextWriter stderr, string command)
    {
        try
        {
            return scenario is null ? WorkloadCatalog.Build(workload, vcpus, pages, seed) : WorkloadFile.Load(scenario);
        }
        catch (ScenarioException e)
        {
            stderr.WriteLine($"pvmmu {command}: {e.Message}");
        }
        catch (ArgumentException e)
        {
            stderr.WriteLine($"pvmmu {command}: {e.Message}");
        }

        return null;
    }

    /// <summary>Writes the HTML report and prints its path; false (and one line on stderr) when it cannot be written.</summary>
    public static bool WriteReport(string dir, CostReportData data, TextWriter stdout, TextWriter stderr, string command)
    {
        try
        {
            var index = HtmlReport.Write(dir, data);
            stdout.WriteLine($"report: {index}");
            return true;
        }
        catch (Exception e) when (ReportFailure(e, dir, command) is { } line)
        {
            stderr.WriteLine(line);
            return false;
        }
    }

    /// <summary>
    /// The one line a failure to write the report prints (<paramref name="command"/> empty for the main job), or
    /// null for a failure that is a bug. The plots render with SkiaSharp, whose native part ships under runtimes/
    /// beside pvmmu.dll: a copy of the build without it fails here, after the tables were printed, with the
    /// <see cref="DllNotFoundException"/> wrapped in type initializers' exceptions.
    /// </summary>
    internal static string? ReportFailure(Exception e, string dir, string command)
    {
        var who = command.Length == 0 ? "pvmmu" : "pvmmu " + command;
        if (e is IOException or UnauthorizedAccessException)
        {
            return $"{who}: cannot write the report to {dir}: {e.Message}";
        }

        for (Exception? x = e; x != null; x = x.InnerException)
        {
            if (x is DllNotFoundException d)
            {
                // Its first sentence names the library; the rest is the loader's advice on diagnosing it.
                var what = d.Message.Split('\n')[0].Split(". ")[0].Trim().TrimEnd('.');
                return $"{who}: cannot draw the report's plots, so no report was written to {dir}: {what} (the runtimes/ folder of the build must sit beside pvmmu.dll)";
            }
        }

        return null;
    }

    /// <summary>The command line as typed, for reports.</summary>
    public static string CommandLine(ParseResult pr) => "pvmmu " + string.Join(' ', pr.Tokens.Select(t => t.Value.Contains(' ', StringComparison.Ordinal) ? $"\"{t.Value}\"" : t.Value));
}
