using PvMmu.Explore.Models;
using PvMmu.Linux.Exit;
using PvMmu.Scheduling;

namespace PvMmu.Explore.Tests.Symmetry;

/// <summary>Models of the abstraction of <c>--symmetry on</c> and the states a seeded random walk of it passes through.</summary>
internal static class SymmetryWalks
{
    /// <summary>A fresh model of <paramref name="scenario"/> on the abstraction (unordered walks, canonical fingerprints).</summary>
    public static MachineModel Model(string scenario, int vcpus) =>
        (MachineModel)Scenarios.Explorable(scenario, new Linux61(), vcpus, symmetry: true)();

    /// <summary>
    /// The moves of a random walk of at most <paramref name="length"/> moves from the start, drawn with
    /// <paramref name="seed"/>, biased towards the moves of the exit's walks (the states the renamings matter most in).
    /// </summary>
    public static List<Move> Walk(MachineModel m, int seed, int length)
    {
        var random = new Random(seed);
        var moves = new List<Move>();
        var start = m.Snapshot();
        for (var i = 0; i < length && !m.Done; i++)
        {
            var enabled = m.Enabled();
            if (enabled.IsEmpty)
            {
                break;
            }

            var c = enabled[random.Next(enabled.Length)];
            m.Apply(c);
            moves.Add(c);
        }

        m.Restore(start);
        return moves;
    }
}
