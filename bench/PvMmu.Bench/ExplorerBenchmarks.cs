using BenchmarkDotNet.Attributes;
using PvMmu.Explore;
using PvMmu.Linux.Sched;

namespace PvMmu.Bench;

/// <summary>
/// The explorer's cost per state, part by part, on exit-vs-switch with 3 vCPUs under Linux413 (the thread's
/// largest scenario): a move, the fingerprint, both invariant checks, a snapshot; and a whole exhaustive search.
/// </summary>
[MemoryDiagnoser]
public class ExplorerBenchmarks
{
    private IExplorable _m = null!;
    private object _start = null!;
    private Choice _first;

    [GlobalSetup]
    public void Setup()
    {
        _m = Scenarios.Explorable("exit-vs-switch", "Linux413", 3)();
        _start = _m.Snapshot();
        _first = _m.Enabled()[0];
    }

    /// <summary>Restore plus one move: a move cannot be timed without putting the state back.</summary>
    [Benchmark]
    public void RestoreAndApply()
    {
        _m.Restore(_start);
        _m.Apply(_first);
    }

    [Benchmark]
    public ulong Fingerprint() => _m.Fingerprint();

    [Benchmark]
    public string? Invariants() => _m.StateViolation();

    [Benchmark]
    public object Snapshot() => _m.Snapshot();

    /// <summary>Every schedule of the scenario: 359 states, 186 distinct.</summary>
    [Benchmark]
    public long ExhaustiveSearch() => new ExhaustiveExplorer(Scenarios.Explorable("exit-vs-switch", "Linux413", 3)).Run().DistinctStates;
}
