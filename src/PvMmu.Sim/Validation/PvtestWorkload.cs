using System.Globalization;

namespace PvMmu.Sim.Validation;

/// <summary>
/// One pvtest workload by the name its phase markers carry (fork-exit-512, fork-cow-10000, fork-vmas-3x300,
/// exec-10000): its kind, how many VMAs of how many pages it maps, its phases, and the workload of the same kind whose
/// counts it is compared as a difference from (the process's other mappings cancel out).
/// </summary>
public sealed record PvtestWorkload(PvtestKind Kind, int Vmas, int Pages)
{
    private static readonly string[] ForkPhases = ["mmap", "touch", "fork", "exit", "munmap"];
    private static readonly string[] CowPhases = ["mmap", "touch", "fork", "cow", "exit", "munmap"];
    private static readonly string[] ExecPhases = ["mmap", "touch", "fork", "exec"];

    public string Name => Kind switch
    {
        PvtestKind.ForkExit => Invariant($"fork-exit-{Pages}"),
        PvtestKind.ForkCow => Invariant($"fork-cow-{Pages}"),
        PvtestKind.ForkVmas => Invariant($"fork-vmas-{Vmas}x{Pages}"),
        _ => Invariant($"exec-{Pages}"),
    };

    /// <summary>The phases pvtest marks, in the order they run.</summary>
    public IReadOnlyList<string> Phases => PhaseArray;

    /// <summary>Where <paramref name="phase"/> falls in <see cref="Phases"/>, or -1.</summary>
    public int PhaseIndex(string phase) => Array.IndexOf(PhaseArray, phase);

    private string[] PhaseArray => Kind switch
    {
        PvtestKind.ForkCow => CowPhases,
        PvtestKind.Exec => ExecPhases,
        _ => ForkPhases,
    };

    /// <summary>Pages from the first VMA's start to the last one's end: the VMAs and the one-page holes between them.</summary>
    public int SpanPages => (Vmas * Pages) + (Vmas - 1);

    /// <summary>
    /// What this workload is compared against: fork-exit-0 for fork-exit and fork-vmas (the same process with nothing
    /// mapped), fork-cow-1 for fork-cow (the capture has no fork-cow-0), exec-0 for exec.
    /// </summary>
    public PvtestWorkload Baseline => Kind switch
    {
        PvtestKind.ForkCow => new(PvtestKind.ForkCow, 1, 1),
        PvtestKind.Exec => new(PvtestKind.Exec, 1, 0),
        _ => new(PvtestKind.ForkExit, 1, 0),
    };

    public bool IsBaseline => this == Baseline;

    /// <summary>A workload name as pvtest writes it, or null for one the model does not replay (null, maps).</summary>
    public static PvtestWorkload? Parse(string name)
    {
        if (Suffix(name, "fork-exit-") is { } fe)
        {
            return new(PvtestKind.ForkExit, 1, fe);
        }

        if (Suffix(name, "fork-cow-") is { } fc)
        {
            return new(PvtestKind.ForkCow, 1, fc);
        }

        if (Suffix(name, "exec-") is { } ex)
        {
            return new(PvtestKind.Exec, 1, ex);
        }

        if (name.StartsWith("fork-vmas-", StringComparison.Ordinal) && name[10..].Split('x') is [var k, var n]
            && int.TryParse(k, NumberStyles.None, CultureInfo.InvariantCulture, out var vmas) && vmas >= 1
            && int.TryParse(n, NumberStyles.None, CultureInfo.InvariantCulture, out var pages))
        {
            return new(PvtestKind.ForkVmas, vmas, pages);
        }

        return null;
    }

    private static int? Suffix(string name, string prefix) =>
        name.StartsWith(prefix, StringComparison.Ordinal)
        && int.TryParse(name.AsSpan(prefix.Length), NumberStyles.None, CultureInfo.InvariantCulture, out var n) ? n : null;

    private static string Invariant(FormattableString s) => s.ToString(CultureInfo.InvariantCulture);
}
