using PvMmu.Events;

namespace PvMmu.Sim.Costs;

/// <summary>
/// A run's counts priced by a cost table: modeled nanoseconds per phase, vCPU and event. A vCPU's time is the work
/// it did (the initiator of a remote flush pays the broadcast and each target's share; a target pays the IPIs it
/// handles); the total is the sum over vCPUs, CPU time rather than elapsed time.
/// </summary>
public sealed class ModeledTime
{
    private readonly double[] _ns;

    /// <summary>The counts of a run's sink priced by <paramref name="table"/> (unpriced events cost nothing).</summary>
    public ModeledTime(EventSink counts, CostTable table)
    {
        Counts = counts;
        Table = table;
        _ns = new double[counts.Phases * counts.Vcpus * EventKinds.Count];
        var i = 0;
        for (var p = 0; p < counts.Phases; p++)
        {
            for (var v = 0; v < counts.Vcpus; v++)
            {
                for (var e = 0; e < EventKinds.Count; e++)
                {
                    _ns[i++] = counts.Get(p, v, (EventKind)e) * table[(EventKind)e];
                }
            }
        }
    }

    public EventSink Counts { get; }

    public CostTable Table { get; }

    public double Ns(int phase, int vcpu, EventKind e) => _ns[(((phase * Counts.Vcpus) + vcpu) * EventKinds.Count) + (int)e];

    /// <summary>Modeled µs of one phase, every vCPU.</summary>
    public double PhaseMicros(int phase) => Sum(phase, phase, 0, Counts.Vcpus - 1, null) / 1000;

    /// <summary>Modeled µs of one vCPU, every phase.</summary>
    public double VcpuMicros(int vcpu) => Sum(0, Counts.Phases - 1, vcpu, vcpu, null) / 1000;

    /// <summary>Modeled µs spent on one event in the given phases (inclusive), every vCPU.</summary>
    public double EventMicros(EventKind e, int firstPhase, int lastPhase) => Sum(firstPhase, lastPhase, 0, Counts.Vcpus - 1, e) / 1000;

    /// <summary>Modeled µs of the given phases (inclusive), every vCPU.</summary>
    public double Micros(int firstPhase, int lastPhase) => Sum(firstPhase, lastPhase, 0, Counts.Vcpus - 1, null) / 1000;

    /// <summary>Modeled µs of the given phases (inclusive), every vCPU, priced by <paramref name="ns"/> (indexed by event) instead.</summary>
    public double MicrosAt(double[] ns, int firstPhase, int lastPhase)
    {
        double s = 0;
        foreach (var e in EventKinds.Priced)
        {
            long n = 0;
            for (var p = firstPhase; p <= lastPhase; p++)
            {
                n += Counts.InPhase(p, e);
            }

            s += n * ns[(int)e];
        }

        return s / 1000;
    }

    /// <summary>The band of <see cref="Micros"/>: its least and greatest over the table's price intervals (<see cref="PriceBand"/>).</summary>
    public (double Low, double High) Band(int firstPhase, int lastPhase) => PriceBand.Of(Table, ns => MicrosAt(ns, firstPhase, lastPhase));

    private double Sum(int p0, int p1, int v0, int v1, EventKind? only)
    {
        double s = 0;
        for (var p = p0; p <= p1; p++)
        {
            for (var v = v0; v <= v1; v++)
            {
                if (only is { } e)
                {
                    s += Ns(p, v, e);
                    continue;
                }

                foreach (var x in EventKinds.Priced)
                {
                    s += Ns(p, v, x);
                }
            }
        }

        return s;
    }
}
