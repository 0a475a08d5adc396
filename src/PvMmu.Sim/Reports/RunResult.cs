using PvMmu.Events;
using PvMmu.Linux.Multicalls;

namespace PvMmu.Sim.Reports;

/// <summary>
/// What one workload run counted (its event sink, read per phase and per metric), the warnings, and the oopses.
/// </summary>
public sealed class RunResult
{
    public RunResult(string workload, string strategy, int vcpus, int pages, ulong seed, string xen, EventSink events)
    {
        Workload = workload;
        Strategy = strategy;
        Vcpus = vcpus;
        Pages = pages;
        Seed = seed;
        Xen = xen;
        Events = events;
    }

    public string Workload { get; }

    public string Strategy { get; }

    public int Vcpus { get; }

    public int Pages { get; }

    public ulong Seed { get; }

    public string Xen { get; }

    /// <summary>The phases the workload named, in order.</summary>
    public IReadOnlyList<string> Phases => Events.PhaseNames;

    /// <summary>Everything the run counted, per phase and vCPU: the sink the run owned.</summary>
    public EventSink Events { get; }

    public List<McWarning> WarningList { get; } = [];

    public List<string> Oopses { get; } = [];

    /// <summary>The moves the scheduler made, in order.</summary>
    public List<string> Schedule { get; } = [];

    /// <summary>Guest invariants found broken (after a move, or at the end), each with where.</summary>
    public List<string> GuestViolations { get; } = [];

    /// <summary>
    /// Hypervisor invariants (docs/xen-rules.md#invariants) found broken after the run; empty when all hold.
    /// </summary>
    public List<string> XenViolations { get; } = [];

    public long Get(int phase, Metric m) => Events.InPhase(phase, Metrics.Source(m));

    /// <summary>A metric over the phases from <paramref name="firstPhase"/> on (the workload's operations without setup).</summary>
    public long From(int firstPhase, Metric m)
    {
        long t = 0;
        for (var p = firstPhase; p < Phases.Count; p++)
        {
            t += Get(p, m);
        }

        return t;
    }

    public long Total(Metric m)
    {
        long t = 0;
        for (var p = 0; p < Phases.Count; p++)
        {
            t += Get(p, m);
        }

        return t;
    }
}
