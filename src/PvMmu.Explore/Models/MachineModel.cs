using PvMmu.Explore.Checks;
using PvMmu.Linux.Accounting;
using PvMmu.Linux.Sched;
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

    public ReadOnlySpan<Choice> Enabled() => Machine.Enabled();

    public void Apply(Choice choice)
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

    public object Snapshot() => Machine.Snapshot();

    public object SnapshotInto(object? reuse) => Machine.SnapshotInto(reuse as MachineSnapshot);

    public void Restore(object snapshot)
    {
        _framesKnown = false;
        Machine.Restore((MachineSnapshot)snapshot);
    }

    public string? StateViolation() => ScheduleCheck.StateViolation(Machine, _xen, _memo, _framesKnown ? _frames : Machine.K.FramesFingerprint());

    public string? EndViolation(out ulong settled) => ScheduleCheck.EndViolation(Machine, out settled);

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

    public bool Independent(Choice a, Choice b) => MoveFootprint.Independent(Machine, a, b);

    public void IndependentPairs(ReadOnlySpan<Choice> enabled, Span<ulong> independentOf) =>
        MoveFootprint.IndependentPairs(Machine, enabled, independentOf);

    public string Describe(Choice choice) => Machine.Describe(choice);
}
