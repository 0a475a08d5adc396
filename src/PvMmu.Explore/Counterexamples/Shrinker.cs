using PvMmu.Explore.Checks;
using PvMmu.Explore.Models;
using PvMmu.Linux.Sched;
using PvMmu.Scheduling;

namespace PvMmu.Explore.Counterexamples;

/// <summary>
/// Delta debugging (Zeller and Hildebrandt, "Simplifying and Isolating Failure-Inducing Input", TSE 2002): ddmin over
/// the moves of a failing schedule. A candidate counts as failing when every move in it is possible where it comes
/// and the run meets a violation; the schedule is cut at the move that meets it. The result is 1-minimal: dropping
/// any one move makes the schedule not fit or not fail.
/// </summary>
public static class Shrinker
{
    public static IReadOnlyList<Move> Shrink(Func<Machine> build, IReadOnlyList<Move> failing) =>
        Shrink(() => new MachineModel(build()), failing);

    public static IReadOnlyList<Move> Shrink(Func<IExplorable> build, IReadOnlyList<Move> failing)
    {
        List<Move>? Fails(List<Move> candidate)
        {
            var (fits, violation, at) = ScheduleCheck.Run(build, candidate);
            return fits && violation != null ? candidate.GetRange(0, at) : null;
        }

        var current = Fails([.. failing]) ?? throw new ArgumentException("the schedule does not fail, so there is nothing to shrink");
        var n = 2;
        while (current.Count >= 2)
        {
            var chunk = (current.Count + n - 1) / n;
            var reduced = false;

            // Try each chunk alone, then each complement.
            for (var start = 0; start < current.Count && !reduced; start += chunk)
            {
                var subset = current.GetRange(start, Math.Min(chunk, current.Count - start));
                if (Fails(subset) is { } s)
                {
                    current = s;
                    n = 2;
                    reduced = true;
                }
            }

            for (var start = 0; start < current.Count && !reduced; start += chunk)
            {
                var complement = new List<Move>(current.Count);
                complement.AddRange(current.GetRange(0, start));
                complement.AddRange(current.GetRange(Math.Min(start + chunk, current.Count), current.Count - Math.Min(start + chunk, current.Count)));
                if (complement.Count < current.Count && Fails(complement) is { } c)
                {
                    current = c;
                    n = Math.Max(n - 1, 2);
                    reduced = true;
                }
            }

            if (!reduced)
            {
                if (n >= current.Count)
                {
                    break;
                }

                n = Math.Min(n * 2, current.Count);
            }
        }

        return current;
    }
}
