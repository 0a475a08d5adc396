namespace PvMmu.Explore.Tests;

/// <summary>
/// Tests that count every byte the process allocates (<see cref="GC.GetTotalAllocatedBytes(bool)"/>): they run alone,
/// after the parallel ones, so that no other test's allocations are counted with theirs.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class AllocationCollection
{
    public const string Name = "Allocation, alone";
}
