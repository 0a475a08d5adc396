using System.Globalization;
using System.Text.Json;
using PvMmu.Explore.Search;
using PvMmu.Linux.Accounting;

namespace PvMmu.Cli.Commands;

/// <summary>
/// <c>pvmmu check</c>'s coverage: for each named branch of the modeled code (<see cref="Branch"/>), how many explored
/// moves took it, and which were never reached, so that "no violation" is not vacuous. With one thread the counts
/// are exact and the same on every run; with more they depend on the threads' timing, so only reached or not is
/// printed (and 1 or 0 in the JSON).
/// </summary>
internal static class CheckCoverage
{
    /// <summary>
    /// The fingerprint-collision line (<see cref="ExplorationResult.FingerprintCollisionProbability"/>). A search
    /// stopped early on several threads counted a timing-dependent number of states, so it gives the bound for its
    /// cap (which its distinct states never exceed) to keep its output the same on every run.
    /// </summary>
    public static string Collision(ExplorationResult r)
    {
        var inv = CultureInfo.InvariantCulture;
        var (p, n, bound) = CollisionEstimate(r);
        return $"fingerprint collision probability: {(bound ? "at most " : string.Empty)}{p.ToString("G2", inv)} "
            + $"({(bound ? "at most " : string.Empty)}{n.ToString(inv)} distinct states, {r.FingerprintBits.ToString(inv)}-bit fingerprints; "
            + "the chance that two distinct states were taken for one, if fingerprints fall uniformly)";
    }

    /// <summary>The estimate, the state count it is for, and whether that count is the cap (an upper bound).</summary>
    public static (double Probability, long States, bool Bound) CollisionEstimate(ExplorationResult r) =>
        TimingDependent(r)
            ? ((r with { DistinctStates = r.MaxStates }).FingerprintCollisionProbability, r.MaxStates, true)
            : (r.FingerprintCollisionProbability, r.DistinctStates, false);

    /// <summary>The coverage block of the text report; nothing for a search that names no branches.</summary>
    public static void WriteText(TextWriter w, ExplorationResult r)
    {
        if (r.Coverage.Count > 0 || r.DistinctStates > 0)
        {
            w.WriteLine(Collision(r));
        }

        if (r.Coverage.Count == 0)
        {
            return;
        }

        if (TimingDependent(r))
        {
            w.WriteLine("coverage: not reported: which states a search stopped early on several threads had reached depends on their timing");
            return;
        }

        var inv = CultureInfo.InvariantCulture;
        var reached = r.Coverage.Count(c => c.Moves > 0);
        w.WriteLine($"coverage: {reached.ToString(inv)} of {r.Coverage.Count.ToString(inv)} named branches reached{(r.Threads > 1 ? " (moves per branch go uncounted on several threads: they depend on timing)" : " (explored moves that took each)")}");
        foreach (var (name, moves) in r.Coverage)
        {
            if (moves > 0)
            {
                w.WriteLine($"  {name,-34} {(r.Threads > 1 ? "reached" : moves.ToString(inv))}");
            }
        }

        foreach (var (name, moves) in r.Coverage)
        {
            if (moves == 0)
            {
                var b = Branches.Find(name);
                w.WriteLine($"  never reached: {name}{(b is { } x ? " (" + Branches.Meaning(x) + ")" : string.Empty)}");
            }
        }
    }

    /// <summary>A search on several threads stopped by a cap or the clock: what it reached depends on their timing.</summary>
    private static bool TimingDependent(ExplorationResult r) => r.Threads > 1 && (r.StateCapped || r.TimedOut);

    /// <summary>The JSON's <c>"coverage": {"name": count, ...}</c> (1 or 0 on several threads).</summary>
    public static void WriteJson(Utf8JsonWriter w, ExplorationResult r)
    {
        if (TimingDependent(r))
        {
            w.WriteNull("coverage");
            return;
        }

        w.WriteStartObject("coverage");
        foreach (var (name, moves) in r.Coverage)
        {
            w.WriteNumber(name, r.Threads > 1 ? (moves > 0 ? 1 : 0) : moves);
        }

        w.WriteEndObject();
        w.WriteString("coverage_counts", r.Threads > 1 ? "reached" : "moves");
    }
}
