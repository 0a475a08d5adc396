using BenchmarkDotNet.Attributes;
using PvMmu.Explore.Exhaustive;
using PvMmu.Explore.Models;
using PvMmu.Linux.Invariants;
using PvMmu.Scheduling;
using PvMmu.Xen.Invariants;

namespace PvMmu.Bench;

/// <summary>
/// The explorer's cost per state, part by part, on exit-vs-switch with 3 vCPUs under Linux413 (the thread's
/// largest scenario): a move, the fingerprint, both invariant checks, a snapshot; and a whole exhaustive search.
/// The fingerprint and the check are timed twice: on a state whose cached page hashes and present slots are warm
/// (the same state again), and right after a move (restore + move + the part, less <see cref="RestoreAndApply"/>),
/// which is what the search pays. The <c>FromScratch</c> and <c>Full</c> rows are the reference computations the
/// cached ones are tested against, the same work as before the caches.
/// </summary>
[MemoryDiagnoser]
public class ExplorerBenchmarks
{
    private MachineModel _m = null!;
    private ModelSnapshot _start = null!;
    private ModelSnapshot? _reused;
    private Move _first;
    private readonly InvariantChecker _xen = new();

    [GlobalSetup]
    public void Setup()
    {
        _m = (MachineModel)Scenarios.Explorable("exit-vs-switch", "Linux413", 3)();

        // As the search does: the state is fingerprinted and checked before it is saved, so the snapshot carries the
        // page hashes and present slots those computed.
        _m.Fingerprint();
        _m.StateViolation();
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
    public ulong FingerprintFromScratch() => _m.Machine.FingerprintFromScratch();

    [Benchmark]
    public ulong RestoreApplyFingerprint()
    {
        _m.Restore(_start);
        _m.Apply(_first);
        return _m.Fingerprint();
    }

    [Benchmark]
    public string? Invariants() => _m.StateViolation();

    /// <summary>Both checks the way they were: every slot of every table, a page walk per guest frame.</summary>
    [Benchmark]
    public int InvariantsFull() =>
        _xen.CheckFull(_m.Machine.K.Xen).Count + GuestInvariantChecker.CheckFull(_m.Machine.K, _m.Machine.InContextSwitchCheck).Count;

    [Benchmark]
    public string? RestoreApplyInvariants()
    {
        _m.Restore(_start);
        _m.Apply(_first);
        return _m.StateViolation();
    }

    [Benchmark]
    public object Snapshot() => _m.Snapshot();

    /// <summary>A snapshot into the one taken before, as the exhaustive search takes them (one per depth).</summary>
    [Benchmark]
    public object SnapshotInto() => _reused = _m.SnapshotInto(_reused);

    /// <summary>Every schedule of the scenario, one thread, no sleep sets (as before they existed): 342 states, 174 distinct.</summary>
    [Benchmark]
    public long ExhaustiveSearch() =>
        new ExhaustiveExplorer(Scenarios.Explorable("exit-vs-switch", "Linux413", 3)) { PartialOrder = false }.Run().DistinctStates;

    /// <summary>The same with sleep sets (the default since they were added): 189 states, 174 distinct.</summary>
    [Benchmark]
    public long ExhaustiveSearchSleepSets() => new ExhaustiveExplorer(Scenarios.Explorable("exit-vs-switch", "Linux413", 3)).Run().DistinctStates;
}
