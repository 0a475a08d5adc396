using PvMmu.Explore.Checks;
using PvMmu.Linux.Accounting;
using PvMmu.Linux.Sched;
using PvMmu.Scheduling;
using PvMmu.Xen.Invariants;

namespace PvMmu.Explore.Models;

/// <summary>A guest scenario's <see cref="Machine"/> as an <see cref="IExplorable"/>, checked by <see cref="ScheduleCheck"/>.</summary>
public sealed class MachineModel(Machine machine) : IExplorable
{
    private readonly InvariantChecker _xen = new();

    private readonly CheckMemo _memo = new();

    /// <summary>The frames part of the fingerprint last taken, while no move or restore has happened since.</summary>
    private ulong _frames;
    private bool _framesKnown;

    public Machine Machine { get; } = machine;

    public bool Done => Machine.Done;

    public ReadOnlySpan<Move> Enabled() => Machine.Enabled();

    public void Apply(Move choice)
    {
        _framesKnown = false;
        Machine.Apply(choice);
    }

    public ulong Fingerprint()
    {
        var fp = Machine.Fingerprint();
        _frames = Machine.K.LastFramesFingerprint;
        _framesKnown = true;
        return fp;
    }

    /// <summary>The machine's state without its event counts: a search reads none, and they are tallies, not state.</summary>
    public ModelSnapshot Snapshot() => new MachineModelSnapshot(Machine.Snapshot(events: false));

    public ModelSnapshot SnapshotInto(ModelSnapshot? reuse)
    {
        if (reuse is not MachineModelSnapshot saved)
        {
            return Snapshot();
        }

        saved.Machine = Machine.SnapshotInto(saved.Machine);
        return saved;
    }

    public void Restore(ModelSnapshot snapshot)
    {
        _framesKnown = false;
        Machine.Restore(((MachineModelSnapshot)snapshot).Machine);
    }

    public string? StateViolation() => ScheduleCheck.StateViolation(Machine, _xen, _memo, _framesKnown ? _frames : Machine.K.FramesFingerprint());

    /// <summary>The snapshot an end state is settled from and put back with, reused from one end state to the next.</summary>
    private MachineSnapshot? _end;

    public string? EndViolation(out ulong settled)
    {
        _end = Machine.SnapshotInto(_end ?? Machine.Snapshot(events: false));
        return ScheduleCheck.EndViolation(Machine, _end, out settled);
    }

    public string LastOutcome => string.Empty;

    /// <summary>The guest's named branches (<see cref="Branches"/>), in <see cref="Branch"/> order.</summary>
    public static IReadOnlyList<string> GuestBranchNames { get; } = [.. Branches.All.Select(Branches.Name)];

    public IReadOnlyList<string> BranchNames => GuestBranchNames;

    public ulong TakeBranches()
    {
        var b = Machine.K.Branches;
        Machine.K.Branches = 0;
        return b;
    }

    public bool Independent(Move a, Move b) => MoveFootprint.Independent(Machine, a, b);

    public void IndependentPairs(ReadOnlySpan<Move> enabled, Span<ulong> independentOf) =>
        MoveFootprint.IndependentPairs(Machine, enabled, independentOf);

    public string Describe(Move choice) => Machine.Describe(choice);
}
