using PvMmu.Linux.Sched;

namespace PvMmu.Explore.Models;

/// <summary>A <see cref="MachineModel"/>'s saved state: the guest machine's snapshot, overwritten in place when reused.</summary>
internal sealed class MachineModelSnapshot(MachineSnapshot machine) : ModelSnapshot
{
    public MachineSnapshot Machine { get; set; } = machine;
}
