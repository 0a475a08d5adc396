namespace PvMmu.Explore;

/// <summary>
/// The three searches at once, one thread each: bounded exhaustive, PCT and uniform random walks. What it reports
/// does not depend on which thread is faster: a search is stopped only by a stronger one's final answer
/// (exhaustive over PCT over random; exhaustive answers when it finds a violation or covers every schedule, PCT
/// when it finds a violation), and the answer reported is the strongest one's. A time limit, when given, can cut
/// any of them, and then what was covered depends on the machine.
/// </summary>
public sealed class PortfolioExplorer(Func<IExplorable> build, ulong seed, long schedules, int maxDepth, int vcpus, int pctDepth, int pctSteps, TimeSpan? timeLimit = null, long maxStates = 2_000_000)
{
    /// <summary>Called about once a second by the exhaustive search.</summary>
    public Action<long, long, int, TimeSpan>? Progress { get; init; }

    /// <summary>Runs the three; returns the reported result, which search it came from, and all three results.</summary>
    public (ExplorationResult Result, string From, ExplorationResult Exhaustive, ExplorationResult Pct, ExplorationResult Random) Run()
    {
        using var stopPct = new CancellationTokenSource();
        using var stopRandom = new CancellationTokenSource();
        ExplorationResult? exhaustive = null, pct = null, random = null;
        Parallel.Invoke(
            () =>
            {
                exhaustive = new ExhaustiveExplorer(build, maxDepth, maxStates) { TimeLimit = timeLimit, Progress = Progress }.Run();
                if (exhaustive.Violation != null || exhaustive.Exhausted)
                {
                    stopPct.Cancel();
                    stopRandom.Cancel();
                }
            },
            () =>
            {
                pct = new RandomWalkExplorer(build, seed, schedules, maxDepth, RandomWalkExplorer.Pct(seed, vcpus, pctDepth, pctSteps), timeLimit) { Cancel = stopPct.Token }.Run();
                if (pct.Violation != null)
                {
                    stopRandom.Cancel();
                }
            },
            () => random = new RandomWalkExplorer(build, seed, schedules, maxDepth, null, timeLimit) { Cancel = stopRandom.Token }.Run());

        var (result, from) = exhaustive!.Violation != null || exhaustive.Exhausted ? (exhaustive, "exhaustive")
            : pct!.Violation != null ? (pct, "pct")
            : random!.Violation != null ? (random, "random")
            : (exhaustive, "exhaustive");
        return (result, from, exhaustive, pct!, random!);
    }
}
