using System.Diagnostics;
using PvMmu.Explore.Exhaustive;
using PvMmu.Explore.Models;
using PvMmu.Explore.Search;

namespace PvMmu.Explore.Bench;

/// <summary>
/// The explorer's own speed, for <c>pvmmu bench</c>: one complete exhaustive search of a guest scenario, timed on the
/// wall clock, as <c>pvmmu check --search exhaustive</c> runs it (sleep sets on, the given threads).
/// </summary>
public static class ExplorerBench
{
    /// <summary>What one timed search covered and how fast.</summary>
    public sealed record Figure(string Scenario, string Strategy, int Vcpus, int Threads, long DistinctStates, bool Complete, double Seconds, long VisitedBytes)
    {
        public double DistinctStatesPerSecond => DistinctStates / Math.Max(Seconds, 1e-9);

        public double BytesPerState => DistinctStates == 0 ? 0 : (double)VisitedBytes / DistinctStates;
    }

    public static Figure Run(string scenario, string strategy, int vcpus, int threads, long maxStates)
    {
        var build = Scenarios.Explorable(scenario, strategy, vcpus);
        var watch = Stopwatch.StartNew();
        ExplorationResult r = new ExhaustiveExplorer(build, maxStates: maxStates) { Threads = threads }.Run();
        var seconds = watch.Elapsed.TotalSeconds;
        var complete = r.Violation == null && r.Exhausted && !r.StateCapped && !r.TimedOut;
        return new Figure(scenario, strategy, vcpus, threads, r.DistinctStates, complete, seconds, r.VisitedBytes);
    }
}
