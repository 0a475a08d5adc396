using PvMmu.Explore.Exhaustive;
using PvMmu.Explore.Models;
using PvMmu.Explore.Sampling;

namespace PvMmu.Explore.Search;

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

    /// <summary>The exhaustive search's sleep sets (<see cref="ExhaustiveExplorer.PartialOrder"/>).</summary>
    public bool PartialOrder { get; init; } = true;

    /// <summary>The exhaustive search's preemption bound (<see cref="ExhaustiveExplorer.Preemptions"/>).</summary>
    public int? Preemptions { get; init; }

    /// <summary>Stops all three (as cut): the user asked the search to stop.</summary>
    public CancellationToken Cancel { get; init; }

    /// <summary>Runs the three; returns the reported result, which search it came from, and all three results.</summary>
    public (ExplorationResult Result, string From, ExplorationResult Exhaustive, ExplorationResult Pct, ExplorationResult Random) Run()
    {
        using var stopPct = CancellationTokenSource.CreateLinkedTokenSource(Cancel);
        using var stopRandom = CancellationTokenSource.CreateLinkedTokenSource(Cancel);
        ExplorationResult? exhaustive = null, pct = null, random = null;
        Parallel.Invoke(
            () =>
            {
                exhaustive = new ExhaustiveExplorer(build, maxDepth, maxStates) { TimeLimit = timeLimit, Progress = Progress, PartialOrder = PartialOrder, Preemptions = Preemptions, Cancel = Cancel }.Run();
                if (Answers(exhaustive))
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

        var (result, from) = Answers(exhaustive!) ? (exhaustive, "exhaustive")
            : pct!.Violation != null ? (pct, "pct")
            : random!.Violation != null ? (random, "random")
            : (exhaustive, "exhaustive");
        return (result!, from, exhaustive!, pct!, random!);
    }

    // Every schedule covered, or a violation; coverage within a preemption bound that left schedules out is not an answer.
    private static bool Answers(ExplorationResult exhaustive) =>
        exhaustive.Violation != null || (exhaustive.Exhausted && !exhaustive.PreemptionBoundCut);
}
