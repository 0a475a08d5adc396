namespace PvMmu.Explore.Models;

/// <summary>
/// A saved state of one <see cref="IExplorable"/>, good only for the model that took it: each model derives its own
/// (<see cref="MachineModel"/> keeps the guest machine's, <see cref="HypervisorRace"/> the hypervisor's and its
/// programs' steps), so the searches hold a typed handle instead of an object they cast.
/// </summary>
public abstract class ModelSnapshot
{
}
