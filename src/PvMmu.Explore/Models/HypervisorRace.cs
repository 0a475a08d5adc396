using System.IO.Hashing;
using PvMmu.Scheduling;
using PvMmu.Xen;
using PvMmu.Xen.Abi;
using PvMmu.Xen.Invariants;

namespace PvMmu.Explore.Models;

/// <summary>
/// A race of two vCPUs on the hypervisor model alone (<see cref="Xsa401Race"/>, <see cref="Xsa286Race"/>): vCPU 0
/// runs its program in <see cref="StepA"/>, vCPU 1 in <see cref="StepB"/>, each a fixed number of steps. The state is
/// the hypervisor's, each program's step, and what the race keeps of its own (<see cref="OwnWords"/>,
/// <see cref="OwnSnapshot"/>); snapshot, restore and fingerprint cover all three. The hypervisor's invariants (I1–I8)
/// are checked after every move, after the race's own property.
/// </summary>
public abstract class HypervisorRace : IExplorable
{
    private static readonly Move[] Both = [new(0, MoveKind.Step), new(1, MoveKind.Step)];
    private static readonly Move[] OnlyA = [new(0, MoveKind.Step)];
    private static readonly Move[] OnlyB = [new(1, MoveKind.Step)];

    private readonly string _name;
    private readonly int _stepsA;
    private readonly int _stepsB;
    private readonly InvariantChecker _xen = new();

    /// <summary>A race named <paramref name="name"/> (for setup errors) whose programs take the given numbers of steps.</summary>
    protected HypervisorRace(string name, Hypervisor hypervisor, int stepsA, int stepsB)
    {
        _name = name;
        Hypervisor = hypervisor;
        _stepsA = stepsA;
        _stepsB = stepsB;
    }

    public Hypervisor Hypervisor { get; }

    /// <summary>vCPU 0's step: its program is done at the count given to the constructor.</summary>
    protected int Step0 { get; set; }

    /// <summary>vCPU 1's step.</summary>
    protected int Step1 { get; set; }

    public bool Done => Step0 == _stepsA && Step1 == _stepsB;

    /// <summary>What the last move did, for a timeline.</summary>
    public string LastOutcome { get; protected set; } = string.Empty;

    public ReadOnlySpan<Move> Enabled() => (Step0 < _stepsA, Step1 < _stepsB) switch
    {
        (true, true) => Both,
        (true, false) => OnlyA,
        (false, true) => OnlyB,
        _ => [],
    };

    public void Apply(Move choice)
    {
        if (choice.Cpu == 0)
        {
            StepA();
        }
        else
        {
            StepB();
        }
    }

    public abstract string Describe(Move choice);

    public ulong Fingerprint()
    {
        Span<ulong> parts = stackalloc ulong[3 + MaxOwnWords];
        (parts[0], parts[1], parts[2]) = (Hypervisor.Fingerprint(), (ulong)Step0, (ulong)Step1);
        var n = 3 + OwnWords(parts[3..]);
        return XxHash3.HashToUInt64(System.Runtime.InteropServices.MemoryMarshal.AsBytes(parts[..n]));
    }

    public ModelSnapshot Snapshot() => new HypervisorRaceSnapshot(Hypervisor.Snapshot(), Step0, Step1, OwnSnapshot());

    public void Restore(ModelSnapshot snapshot)
    {
        var s = (HypervisorRaceSnapshot)snapshot;
        Hypervisor.Restore(s.Hypervisor);
        (Step0, Step1) = (s.Step0, s.Step1);
        OwnRestore(s.Own);
    }

    public string? StateViolation()
    {
        if (RaceViolation() is { } own)
        {
            return own;
        }

        var errors = _xen.Check(Hypervisor);
        return errors.Count > 0 ? "xen: " + string.Join("; ", errors) : null;
    }

    public string? EndViolation(out ulong settled)
    {
        settled = Fingerprint();
        return null;
    }

    /// <summary>The most words <see cref="OwnWords"/> may write.</summary>
    protected const int MaxOwnWords = 4;

    /// <summary>vCPU 0's next step.</summary>
    protected abstract void StepA();

    /// <summary>vCPU 1's next step.</summary>
    protected abstract void StepB();

    /// <summary>The race's own state beside the steps, as at most <see cref="MaxOwnWords"/> words for the fingerprint; how many.</summary>
    protected abstract int OwnWords(Span<ulong> into);

    /// <summary>A copy of the race's own state, for a snapshot.</summary>
    protected abstract object? OwnSnapshot();

    /// <summary>Puts back what <see cref="OwnSnapshot"/> copied.</summary>
    protected abstract void OwnRestore(object? own);

    /// <summary>The race's own property, broken in the current state, or null.</summary>
    protected virtual string? RaceViolation() => null;

    /// <summary>Guest frame <paramref name="i"/>.</summary>
    protected uint G(int i) => Hypervisor.FirstGuestFrame + (uint)i;

    /// <summary>A hypercall of the setup, which must succeed.</summary>
    protected void Require(long rc)
    {
        if (rc != 0)
        {
            throw new InvalidOperationException($"{_name} scenario setup failed: {Errno.Name(rc)}");
        }
    }
}
