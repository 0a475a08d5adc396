using PvMmu.Linux.Sched;

namespace PvMmu.Explore;

/// <summary>
/// Seeded random walk: schedule after schedule from the scenario's start, each move drawn uniformly among the enabled
/// ones by <see cref="SeededRandomScheduler"/>, every state checked as the exhaustive search checks it. It covers no
/// bound, only the schedules it drew, but reaches deep states cheaply; the same seed draws the same schedules.
/// </summary>
public sealed class RandomWalkExplorer(Func<IExplorable> build, ulong seed, long schedules, int maxDepth = 10_000)
{
    public RandomWalkExplorer(Func<Machine> build, ulong seed, long schedules, int maxDepth = 10_000)
        : this(() => new MachineModel(build()), seed, schedules, maxDepth)
    {
    }

    public ExplorationResult Run()
    {
        var rng = new SeededRandomScheduler(seed);
        var distinct = new HashSet<ulong>();
        var start = build();
        var origin = start.Snapshot();
        var path = new List<Choice>();
        long states = 0;
        var deepest = 0;
        for (long s = 0; s < schedules; s++)
        {
            start.Restore(origin);
            path.Clear();
            string? violation = null;
            while (violation == null && !start.Done && path.Count < maxDepth)
            {
                var enabled = start.Enabled();
                if (enabled.Length == 0)
                {
                    violation = "deadlock: no vCPU can move";
                    break;
                }

                var c = enabled[rng.Choose(enabled)];
                path.Add(c);
                start.Apply(c);
                states++;
                distinct.Add(start.Fingerprint());
                violation = start.StateViolation();
            }

            if (violation == null && start.Done)
            {
                violation = start.EndViolation(out _);
            }

            deepest = Math.Max(deepest, path.Count);
            if (violation != null)
            {
                return new ExplorationResult(states, distinct.Count, deepest, false, violation, [.. path]) { Schedules = s + 1 };
            }
        }

        return new ExplorationResult(states, distinct.Count, deepest, false, null, []) { Schedules = schedules };
    }
}
