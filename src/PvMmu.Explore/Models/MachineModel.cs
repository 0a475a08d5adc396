using PvMmu.Explore.Checks;
using PvMmu.Explore.Symmetry;
using PvMmu.Linux.Accounting;
using PvMmu.Linux.Sched;
using PvMmu.Scheduling;
using PvMmu.Xen.Invariants;

namespace PvMmu.Explore.Models;

/// <summary>
/// A guest scenario's <see cref="Machine"/> as an <see cref="IExplorable"/>, checked by <see cref="ScheduleCheck"/>. With
/// symmetry on, the machine's per-CPU walks are unordered and the fingerprint is the canonical one over the scenario's
/// interchangeable vCPUs (<see cref="VcpuSymmetry"/>): the search then explores the abstraction docs/model.md
/// ("Symmetry") describes, one state per class of renamings, while every move it makes stays a concrete one.
/// </summary>
public sealed class MachineModel(Machine machine) : IExplorable
{
    /// <summary>The model of <paramref name="machine"/>, on the abstraction with <paramref name="symmetry"/> (see the class).</summary>
    public MachineModel(Machine machine, bool symmetry)
        : this(machine)
    {
        if (symmetry)
        {
            machine.UseUnorderedWalks();
            Symmetry = new VcpuSymmetry(machine.K.Cpus, machine.InterchangeableClasses());
        }
    }

    /// <summary>The symmetry group the fingerprint is canonical over, or null (the exact model).</summary>
    public VcpuSymmetry? Symmetry { get; }


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
        if (Symmetry != null)
        {
            // The frames' fingerprint of the state itself is taken when a check needs it.
            _framesKnown = false;
            return Canonical();
        }

        var fp = Machine.Fingerprint();
        _frames = Machine.K.LastFramesFingerprint;
        _framesKnown = true;
        return fp;
    }

    /// <summary>
    /// The canonical fingerprint of the current state: the flush times normalized
    /// (<see cref="PvMmu.Xen.Hypervisor.NormalizeFlushTimes"/>), then the least fingerprint over the renamings that sort
    /// each class of interchangeable vCPUs by signature (<see cref="VcpuSymmetry.Sorting"/>), which for states of one
    /// orbit are the same set of states. Each renaming is undone by its inverse and the flush times are put back, so
    /// the state is left exactly as it was, at its own version.
    /// </summary>
    private ulong Canonical()
    {
        var symmetry = Symmetry!;
        var xen = Machine.K.Xen;
        var version = xen.Version;
        var n = Machine.K.Cpus;
        Span<uint> times = stackalloc uint[n];
        var normalized = xen.NormalizeFlushTimesNeeded();
        if (normalized)
        {
            xen.CopyFlushTimes(times);
            xen.NormalizeFlushTimes();
        }

        var least = ulong.MaxValue;
        if (symmetry.Classes.Length == 0)
        {
            least = Machine.Fingerprint();
        }
        else
        {
            foreach (var p in symmetry.Sorting(Machine.VcpuSignature, n))
            {
                if (p.IsIdentity)
                {
                    least = Math.Min(least, Machine.Fingerprint());
                    continue;
                }

                Machine.PermuteVcpus(p);
                least = Math.Min(least, Machine.Fingerprint());
                Machine.PermuteVcpus(p.Inverse());
            }
        }

        if (normalized)
        {
            xen.SetFlushTimes(times);
        }

        xen.ReturnToVersion(version);
        return least;
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

    public bool MovesByIndex => Machine.UnorderedWalks;

    /// <summary>The guest's named branches (<see cref="Branches"/>), in <see cref="Branch"/> order.</summary>
    public static IReadOnlyList<string> GuestBranchNames { get; } = [.. Branches.All.Select(Branches.Name)];

    public IReadOnlyList<string> BranchNames => GuestBranchNames;

    public ulong TakeBranches()
    {
        var b = Machine.K.Branches;
        Machine.K.Branches = 0;
        return b;
    }

    /// <summary>
    /// Whether two moves commute (<see cref="MoveFootprint"/>); never under symmetry, whose visited set holds classes
    /// of states that a sleep set of concrete moves does not fit, nor with unordered walks, whose moves the footprints
    /// do not describe.
    /// </summary>
    public bool Independent(Move a, Move b) => !Machine.UnorderedWalks && MoveFootprint.Independent(Machine, a, b);

    public void IndependentPairs(ReadOnlySpan<Move> enabled, Span<ulong> independentOf)
    {
        if (Machine.UnorderedWalks)
        {
            independentOf.Clear();
            return;
        }

        MoveFootprint.IndependentPairs(Machine, enabled, independentOf);
    }

    public string Describe(Move choice) => Machine.Describe(choice);
}
