using PvMmu.Events;

namespace PvMmu.Sim.Reports;

/// <summary>Where each reported <see cref="Metric"/> is read from: one event of the run's sink.</summary>
public static class Metrics
{
    public static EventKind Source(Metric m) => m switch
    {
        Metric.Hypercalls => EventKind.Hypercall,
        Metric.Multicalls => EventKind.McMulticall,
        Metric.MulticallEntries => EventKind.MulticallEntry,
        Metric.MmuUpdateRequests => EventKind.MmuUpdateRequest,
        Metric.MmuextOps => EventKind.MmuExtOp,
        Metric.UpdateVaMappings => EventKind.UpdateVaMapping,
        Metric.PtwrEmulations => EventKind.PtwrEmulation,
        Metric.InjectedFaults => EventKind.FaultInjected,
        Metric.Ipis => EventKind.IpiHandled,
        Metric.LocalFlushes => EventKind.LocalFlush,
        Metric.RemoteFlushes => EventKind.RemoteFlush,
        Metric.Cr3Loads => EventKind.Cr3Load,
        Metric.Validations => EventKind.TableValidated,
        Metric.Warnings => EventKind.FailedCallLogged,
        _ => throw new ArgumentOutOfRangeException(nameof(m)),
    };
}
