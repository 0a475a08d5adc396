using PvMmu.Explore.Checks;
using PvMmu.Explore.Models;
using PvMmu.Explore.Search;
using PvMmu.Linux.Sched;
using PvMmu.Scheduling;

namespace PvMmu.Explore.Sampling;

/// <summary>
/// Sampling search: schedule after schedule from the scenario's start, every state checked as the exhaustive search
/// checks it. By default each move is drawn uniformly among the enabled ones by one <see cref="SeededRandomScheduler"/>
/// (a random walk); <paramref name="schedulerFor"/> gives each schedule a scheduler of its own instead (PCT). It
/// covers no bound, only the schedules it drew, but reaches deep states cheaply; the same seed draws the same
/// schedules, so what it reports is the same as long as <paramref name="timeLimit"/> does not cut it short.
/// </summary>
public sealed class RandomWalkExplorer(
    Func<IExplorable> build,
    ulong seed,
    long schedules,
    int maxDepth = 10_000,
    Func<long, IScheduler>? schedulerFor = null,
    TimeSpan? timeLimit = null)
{
    public RandomWalkExplorer(Func<Machine> build, ulong seed, long schedules, int maxDepth = 10_000)
        : this(() => new MachineModel(build()), seed, schedules, maxDepth)
    {
    }

    /// <summary>Stop before the next schedule when this is cancelled: a portfolio's stronger search has answered.</summary>
    public CancellationToken Cancel { get; init; }

    /// <summary>Called about once a second with (states, distinct states, deepest, elapsed).</summary>
    public Action<long, long, int, TimeSpan>? Progress { get; init; }

    /// <summary>Seeded PCT with bug depth <paramref name="depth"/>, change points among the first <paramref name="steps"/> moves.</summary>
    public static Func<long, IScheduler> Pct(ulong seed, int vcpus, int depth, int steps) =>
        i => new PctScheduler(Mix(seed, (ulong)i), vcpus, depth, steps);

    public ExplorationResult Run()
    {
        var uniform = new SeededRandomScheduler(seed);
        var distinct = new HashSet<ulong>();
        var start = build();
        var origin = start.Snapshot();
        var path = new List<Move>();
        var clock = new SearchClock(timeLimit, Progress);
        long states = 0;
        var deepest = 0;
        string? violation = null;

        // Each move is checked as the exhaustive search checks a state; the first violation ends the schedule.
        var check = new RunObserver(
            path.Add,
            _ =>
            {
                states++;
                distinct.Add(start.Fingerprint());
                violation = start.StateViolation();
                return violation == null;
            });
        for (long s = 0; s < schedules; s++)
        {
            if (s > 0 && clock.Expired(states, distinct.Count, deepest))
            {
                return new ExplorationResult(states, distinct.Count, deepest, false, null, []) { Schedules = s, TimedOut = true };
            }

            if (Cancel.IsCancellationRequested)
            {
                return new ExplorationResult(states, distinct.Count, deepest, false, null, []) { Schedules = s };
            }

            var scheduler = schedulerFor?.Invoke(s) ?? uniform;
            start.Restore(origin);
            path.Clear();
            violation = null;
            var end = RunLoop.Run(start, scheduler, check, maxDepth);
            if (end == RunEnd.Deadlock)
            {
                violation = ScheduleCheck.Deadlock;
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

    /// <summary>SplitMix64 of seed and schedule index: independent, reproducible per-schedule seeds.</summary>
    private static ulong Mix(ulong seed, ulong i)
    {
        var z = seed + ((i + 1) * 0x9E37_79B9_7F4A_7C15UL);
        z = (z ^ (z >> 30)) * 0xBF58_476D_1CE4_E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D0_49BB_1331_11EBUL;
        return z ^ (z >> 31);
    }
}
