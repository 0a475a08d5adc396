using PvMmu.Xen;

namespace PvMmu.Explore.Models;

/// <summary>A <see cref="HypervisorRace"/>'s saved state: the hypervisor's snapshot, both programs' steps and the race's own state.</summary>
internal sealed class HypervisorRaceSnapshot(HypervisorSnapshot hypervisor, int step0, int step1, object? own) : ModelSnapshot
{
    public HypervisorSnapshot Hypervisor { get; } = hypervisor;

    public int Step0 { get; } = step0;

    public int Step1 { get; } = step1;

    public object? Own { get; } = own;
}
