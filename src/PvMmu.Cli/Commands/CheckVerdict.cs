using System.Globalization;
using PvMmu.Explore.Search;

namespace PvMmu.Cli.Commands;

/// <summary>
/// What a check that met no violation may claim. Complete (exit 0) only when the exhaustive search covered every
/// schedule to the bound: nothing stopped it (<c>--time</c>, <c>--max-states</c>), the depth bound (<c>--bound</c>)
/// cut no schedule and the preemption bound (<c>--preemptions</c>) left none out. Otherwise (exit 3) it says which
/// cap stopped it, and a sampling search (random, PCT) is never complete: it runs only the schedules it draws.
/// </summary>
internal static class CheckVerdict
{
    /// <summary>The JSON's <c>incomplete_because</c> for a search stopped by <c>--time</c>.</summary>
    public const string Time = "time";

    /// <summary>... stopped by its state cap (<c>--max-states</c>).</summary>
    public const string MaxStates = "max-states";

    /// <summary>... whose depth bound (<c>--bound</c>) cut some schedule.</summary>
    public const string Depth = "depth";

    /// <summary>... whose preemption bound (<c>--preemptions</c>) left some schedule out.</summary>
    public const string PreemptionBound = "preemption-bound";

    /// <summary>... that sampled schedules (random walks, PCT): it never covers them all.</summary>
    public const string Sampling = "sampling";

    /// <summary>... that stopped at the first violation it met.</summary>
    public const string Violation = "violation";

    /// <summary>
    /// Why the search <paramref name="r"/> (answered by <paramref name="from"/>: exhaustive, pct or random) did not
    /// cover every schedule to the bound; null if it did. A time limit or the state cap is named before the depth
    /// bound: it stopped the search, while the depth bound only cut the schedules it reached.
    /// </summary>
    public static string? IncompleteBecause(ExplorationResult r, string from) =>
        r.Violation != null ? Violation
        : from != "exhaustive" ? Sampling
        : r.TimedOut ? Time
        : r.StateCapped ? MaxStates
        : !r.Exhausted ? Depth
        : r.PreemptionBoundCut ? PreemptionBound
        : null;

    /// <summary>The exit code of a check that met no violation.</summary>
    public static int ExitCode(ExplorationResult r, string from) =>
        IncompleteBecause(r, from) == null ? ExitCodes.Ok : ExitCodes.Incomplete;

    /// <summary>
    /// The verdict line of a check that met no violation. <paramref name="covered"/> is what it covered (the counts
    /// that do not depend on the threads' timing); <paramref name="others"/>, for a portfolio whose exhaustive
    /// search did not answer, what the sampling searches covered ("; N PCT and M random schedules sampled ...").
    /// </summary>
    public static string Text(ExplorationResult r, string from, string how, int bound, string covered, string? others)
    {
        var inv = CultureInfo.InvariantCulture;
        const string NotAProof = "; this is not a proof";
        switch (IncompleteBecause(r, from))
        {
            case null:
                return r.PreemptionBound is { } used
                    ? $"no violation: every schedule explored; no schedule needed more than {used.ToString(inv)} preemptions ({covered})"
                    : $"no violation: every schedule explored ({covered})";
            case Sampling:
                var sampler = how == "pct" ? "PCT" : "random walks";
                return $"search incomplete: a sampling search ({sampler}) runs only the schedules it draws{(r.TimedOut ? ", and --time stopped it" : string.Empty)}; "
                    + $"no violation in {r.Schedules.ToString(inv)} sampled schedules ({covered}); other schedules were not explored{NotAProof}";
            case Time:
                return $"search incomplete: stopped by --time; no violation in the states visited ({covered}); the rest of the schedules were not explored{others}{NotAProof}";
            case MaxStates:
                var cap = r.MaxStates.ToString(inv);
                // With threads, how far past the cap they went, and which states they reached, depend on their timing.
                var visited = r.Threads > 1
                    ? $"the states visited (at least {cap}; the exact counts depend on the threads' timing and go to the stats line)"
                    : $"the {cap} states visited ({covered})";
                return $"search incomplete: stopped at the state cap of {cap} states (--max-states); no violation in {visited}; the rest of the schedules were not explored{others}{NotAProof}";
            case Depth:
                var k = bound.ToString(inv);
                return $"search incomplete: the depth bound of {k} moves (--bound) cut some schedules; no violation in every schedule up to {k} moves ({covered}); longer schedules were not explored{others}{NotAProof}";
            default:
                var p = r.PreemptionBound.GetValueOrDefault().ToString(inv);
                return $"search incomplete: the preemption bound of {p} (--preemptions) left some schedules out; no violation in every schedule of at most {p} preemptions ({covered}); schedules with more were not explored{others}{NotAProof}";
        }
    }
}
