using PvMmu.Explore.Models;
using PvMmu.Linux.Exit;
using PvMmu.Linux.Sched;
using PvMmu.Sim.Workloads;

namespace PvMmu.Cli.Commands;

/// <summary>
/// <c>pvmmu check --scenario FILE.yaml</c>: a guest scenario from a workload scenario file (docs/scenario-format.md),
/// whose processes, threads and vCPU programs replace a built-in scenario's. A bad file is a
/// <see cref="ScenarioException"/> (file:line:column: what was expected).
/// </summary>
internal static class CheckScenarioFile
{
    /// <summary>The sleep sets keep a move per bit: four per vCPU (an IPI, three step alternatives) in 64 bits.</summary>
    public const int MaxVcpus = 16;

    public static bool IsFile(string scenario) =>
        scenario.EndsWith(".yaml", StringComparison.OrdinalIgnoreCase) || scenario.EndsWith(".yml", StringComparison.OrdinalIgnoreCase);

    /// <summary>Reads the file once; the factory then boots a fresh machine for it under any exit strategy.</summary>
    public static (int Vcpus, Func<IExitStrategy, Machine> Build) Load(string path)
    {
        var spec = WorkloadFile.Load(path);
        if (spec.Vcpus > MaxVcpus)
        {
            throw new ScenarioException(path, 1, 1, $"pvmmu check explores at most {MaxVcpus} vCPUs; the file has {spec.Vcpus}");
        }

        return (spec.Vcpus, s => WorkloadRunner.NewMachine(spec, s));
    }

    /// <summary>
    /// The scenario as a replay file written to <paramref name="replayPath"/> names it: a scenario file by its path
    /// relative to the replay file's directory (so the two can move together), a built-in scenario by its name.
    /// </summary>
    public static string ForReplayFile(string scenario, string replayPath) =>
        IsFile(scenario) ? Path.GetRelativePath(Path.GetDirectoryName(Path.GetFullPath(replayPath))!, Path.GetFullPath(scenario)) : scenario;

    /// <summary>The inverse: a scenario file named in the replay file at <paramref name="replayPath"/>, as a full path.</summary>
    public static string FromReplayFile(string scenario, string replayPath) =>
        IsFile(scenario) ? Path.GetFullPath(Path.Combine(Path.GetDirectoryName(Path.GetFullPath(replayPath))!, scenario)) : scenario;

    /// <summary>A built-in scenario's name or a scenario file; null if it is neither.</summary>
    public static string? Check(string scenario) =>
        Canonical(scenario) is not null
            ? null
            : $"--scenario: expected one of {string.Join(", ", Scenarios.AllNames)} or a scenario file (FILE.yaml); got '{PvMmu.Sim.Inputs.Quote.Cut(scenario)}'";

    /// <summary>A scenario file as given, a built-in scenario's name as spelled in the list (any case matches), or null.</summary>
    public static string? Canonical(string scenario) =>
        IsFile(scenario) ? scenario : Scenarios.AllNames.FirstOrDefault(n => string.Equals(n, scenario.Trim(), StringComparison.OrdinalIgnoreCase));
}
