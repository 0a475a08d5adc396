namespace PvMmu.Xen.Invariants;

/// <summary>
/// A check of the hypervisor's invariants between operations: <see cref="InvariantChecker"/> is the one the model
/// ships. Callers that memoise clean states (the explorer) take the interface, so that their memo can be tested with
/// a check of known verdicts instead of with a hypervisor broken behind its back.
/// </summary>
public interface IInvariantCheck
{
    /// <summary>The violations found in <paramref name="h"/>'s state (empty when all hold).</summary>
    List<string> Check(Hypervisor h);
}
