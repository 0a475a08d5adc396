using PvMmu.Explore.Models;

namespace PvMmu.Explore.Tests.RunLoops;

/// <summary>A <see cref="CounterModel"/>'s counts.</summary>
internal sealed class CounterSnapshot(int[] at) : ModelSnapshot
{
    public int[] At { get; } = at;
}
