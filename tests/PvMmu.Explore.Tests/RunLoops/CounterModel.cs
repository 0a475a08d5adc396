using PvMmu.Explore.Models;
using PvMmu.Scheduling;

namespace PvMmu.Explore.Tests.RunLoops;

/// <summary>
/// A model with no guest and no hypervisor: each of <c>vcpus</c> vCPUs counts up to <c>steps</c>, one step a move, in
/// any order. Its state space is known without running anything: (steps + 1)^vcpus states, one end. With
/// <c>stuck</c>, vCPU 0 has one step more that is never enabled, so every schedule ends in a deadlock.
/// </summary>
internal sealed class CounterModel(int vcpus, int steps, bool stuck = false) : IExplorable
{
    private readonly int[] _at = new int[vcpus];
    private readonly Move[] _enabled = new Move[vcpus];

    public bool Done => !stuck && _at.All(a => a == steps);

    public string LastOutcome => string.Empty;

    public ReadOnlySpan<Move> Enabled()
    {
        var n = 0;
        for (var c = 0; c < vcpus; c++)
        {
            if (_at[c] < steps)
            {
                _enabled[n++] = new Move(c, MoveKind.Step);
            }
        }

        return _enabled.AsSpan(0, n);
    }

    public void Apply(Move move) => _at[move.Cpu]++;

    public ulong Fingerprint()
    {
        // The counts in base steps + 1, then through an odd multiplier: one fingerprint per state, never 0.
        ulong packed = 0;
        foreach (var a in _at)
        {
            packed = (packed * (ulong)(steps + 1)) + (ulong)a;
        }

        return (packed + 1) * 0x9E37_79B9_7F4A_7C15UL;
    }

    public ModelSnapshot Snapshot() => new CounterSnapshot([.. _at]);

    public void Restore(ModelSnapshot snapshot) => ((CounterSnapshot)snapshot).At.CopyTo(_at, 0);

    public string? StateViolation() => null;

    public string? EndViolation(out ulong settled)
    {
        settled = Fingerprint();
        return null;
    }

    public string Describe(Move choice) => choice.ToString();
}
