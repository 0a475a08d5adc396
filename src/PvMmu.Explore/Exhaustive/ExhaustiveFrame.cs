using PvMmu.Explore.Models;
using PvMmu.Scheduling;

namespace PvMmu.Explore.Exhaustive;

/// <summary>
/// One state on an exhaustive worker's depth-first stack, kept in a reused object per depth so that a move not yet
/// started can be handed to an idle thread from deeper down: the enabled moves, which of them are still to start,
/// which were taken (or handed over), and for each move the ones it commutes with here.
/// </summary>
internal sealed class ExhaustiveFrame
{
    public Move[] Enabled { get; private set; } = new Move[8];

    public ulong[] IndependentOf { get; private set; } = new ulong[8];

    public int Count { get; private set; }

    public ulong Fingerprint { get; set; }

    /// <summary>Moves not started yet (and not handed over).</summary>
    public ulong Remaining { get; set; }

    /// <summary>Moves taken, or handed over: they go into the sleep sets of the moves after them.</summary>
    public ulong Done { get; set; }

    /// <summary>The sleep set the state is expanded with.</summary>
    public ulong Working { get; set; }

    public int Used { get; set; }

    public int Last { get; set; }

    public bool LastCanRun { get; set; }

    /// <summary>The state's snapshot, restored after each move; kept for the next state at this depth to overwrite.</summary>
    public ModelSnapshot? Snapshot { get; set; }

    /// <summary>The index of the next enabled move to consider.</summary>
    public int Next { get; set; }

    /// <summary>A move has been taken from here and explored: the next one starts by restoring <see cref="Snapshot"/>.</summary>
    public bool Left { get; set; }

    /// <summary>Copies the enabled moves (the model's span is overwritten by the next state's).</summary>
    public void Load(ReadOnlySpan<Move> enabled)
    {
        if (Enabled.Length < enabled.Length)
        {
            Enabled = new Move[enabled.Length * 2];
            IndependentOf = new ulong[enabled.Length * 2];
        }

        enabled.CopyTo(Enabled);
        Count = enabled.Length;
    }
}
