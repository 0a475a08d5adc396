using PvMmu.Linux.Sched;
using PvMmu.Xen.Invariants;

namespace PvMmu.Explore;

/// <summary>A guest scenario's <see cref="Machine"/> as an <see cref="IExplorable"/>, checked by <see cref="ScheduleCheck"/>.</summary>
public sealed class MachineModel(Machine machine) : IExplorable
{
    private readonly InvariantChecker _xen = new();

    private readonly CheckMemo _memo = new();

    public Machine Machine { get; } = machine;

    public bool Done => Machine.Done;

    public ReadOnlySpan<Choice> Enabled() => Machine.Enabled();

    public void Apply(Choice choice) => Machine.Apply(choice);

    public ulong Fingerprint() => Machine.Fingerprint();

    public object Snapshot() => Machine.Snapshot();

    public object SnapshotInto(object? reuse) => Machine.SnapshotInto(reuse as MachineSnapshot);

    public void Restore(object snapshot) => Machine.Restore((MachineSnapshot)snapshot);

    public string? StateViolation() => ScheduleCheck.StateViolation(Machine, _xen, _memo);

    public string? EndViolation(out ulong settled) => ScheduleCheck.EndViolation(Machine, out settled);

    public string LastOutcome => string.Empty;

    public bool Independent(Choice a, Choice b) => MoveFootprint.Independent(Machine, a, b);

    public string Describe(Choice choice) =>
        choice.Kind == ChoiceKind.TakeIpi ? "takes IPI" : Machine.CurrentOp(choice.Cpu)?.ToString() ?? "idle";
}
