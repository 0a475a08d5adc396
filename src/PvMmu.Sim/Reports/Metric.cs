namespace PvMmu.Sim.Reports;

/// <summary>The counts a run reports per phase and in total, in the order (and with the JSON names) they are printed.</summary>
public enum Metric
{
    Hypercalls,
    Multicalls,
    MulticallEntries,
    MmuUpdateRequests,
    MmuextOps,
    UpdateVaMappings,
    PtwrEmulations,
    InjectedFaults,
    Ipis,
    LocalFlushes,
    RemoteFlushes,
    Cr3Loads,
    Validations,
    Warnings,
}
