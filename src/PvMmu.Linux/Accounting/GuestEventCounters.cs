namespace PvMmu.Linux.Accounting;

/// <summary>
/// Guest event counts as one flat array indexed by [phase, vCPU, event], the guest's twin of the hypervisor's
/// EventCounters, followed by the xen:* tracepoints (<see cref="Tracepoint"/>) in the same layout. The phase is the
/// one the hypervisor's counters charge now (the workload sets it there), so both sides of one move land in the
/// same phase.
/// </summary>
public sealed class GuestEventCounters
{
    public static readonly int EventCount = Enum.GetValues<GuestEvent>().Length;

    private readonly long[] _counts;
    private readonly long[] _trace;
    private readonly Func<int> _phase;

    public GuestEventCounters(int vcpus, int phases, Func<int> phase)
    {
        Vcpus = vcpus;
        Phases = phases;
        _phase = phase;
        _counts = new long[phases * vcpus * EventCount];
        _trace = new long[phases * vcpus * Tracepoints.Count];
    }

    public int Vcpus { get; }

    public int Phases { get; }

    public void Add(int vcpu, GuestEvent e, long n = 1) => _counts[(((_phase() * Vcpus) + vcpu) * EventCount) + (int)e] += n;

    public void Add(int vcpu, Tracepoint t) => _trace[(((_phase() * Vcpus) + vcpu) * Tracepoints.Count) + (int)t]++;

    public long Get(int phase, int vcpu, Tracepoint t) => _trace[(((phase * Vcpus) + vcpu) * Tracepoints.Count) + (int)t];

    /// <summary>A tracepoint's count in one phase, every vCPU.</summary>
    public long InPhase(int phase, Tracepoint t)
    {
        long n = 0;
        for (var v = 0; v < Vcpus; v++)
        {
            n += Get(phase, v, t);
        }

        return n;
    }

    public long Get(int phase, int vcpu, GuestEvent e) => _counts[(((phase * Vcpus) + vcpu) * EventCount) + (int)e];

    /// <summary>The count of one event over every vCPU and phase.</summary>
    public long Total(GuestEvent e)
    {
        long sum = 0;
        for (var i = (int)e; i < _counts.Length; i += EventCount)
        {
            sum += _counts[i];
        }

        return sum;
    }

    public void Reset()
    {
        Array.Clear(_counts);
        Array.Clear(_trace);
    }

    /// <summary>A copy with the same phase source.</summary>
    public GuestEventCounters Clone()
    {
        var c = new GuestEventCounters(Vcpus, Phases, _phase);
        c.CopyFrom(this);
        return c;
    }

    public void CopyFrom(GuestEventCounters s)
    {
        s._counts.CopyTo(_counts, 0);
        s._trace.CopyTo(_trace, 0);
    }
}
