namespace PvMmu.Xen.Events;

/// <summary>
/// Event counts as one flat array indexed by [phase, vCPU, event]. Counting is one add to a precomputed base,
/// so it costs next to nothing on the hot paths. The guest model chooses the phase; the hypervisor model the vCPU.
/// </summary>
public sealed class EventCounters
{
    public static readonly int EventCount = Enum.GetValues<XenEvent>().Length;

    private long[] _counts;
    private int _base;
    private int _phase;
    private int _vcpu;

    public EventCounters(int vcpus, int phases = 1)
    {
        Vcpus = vcpus;
        Phases = phases;
        _counts = new long[phases * vcpus * EventCount];
    }

    public int Vcpus { get; }

    public int Phases { get; }

    /// <summary>The vCPU that events are charged to now.</summary>
    public int Vcpu
    {
        get => _vcpu;
        set
        {
            _vcpu = value;
            _base = ((_phase * Vcpus) + value) * EventCount;
        }
    }

    /// <summary>The phase that events are charged to now.</summary>
    public int Phase
    {
        get => _phase;
        set
        {
            if ((uint)value >= (uint)Phases)
            {
                throw new ArgumentOutOfRangeException(nameof(value), $"phase {value} is outside 0..{Phases - 1}");
            }

            _phase = value;
            _base = ((value * Vcpus) + _vcpu) * EventCount;
        }
    }

    public void Add(XenEvent e, long n = 1) => _counts[_base + (int)e] += n;

    public long Get(int phase, int vcpu, XenEvent e) => _counts[(((phase * Vcpus) + vcpu) * EventCount) + (int)e];

    /// <summary>The count of one event for one vCPU over every phase.</summary>
    public long ForVcpu(int vcpu, XenEvent e)
    {
        long sum = 0;
        for (var p = 0; p < Phases; p++)
        {
            sum += Get(p, vcpu, e);
        }

        return sum;
    }

    /// <summary>The count of one event over every vCPU and phase.</summary>
    public long Total(XenEvent e)
    {
        long sum = 0;
        for (var i = (int)e; i < _counts.Length; i += EventCount)
        {
            sum += _counts[i];
        }

        return sum;
    }

    public void Reset() => Array.Clear(_counts);

    public EventCounters Clone()
    {
        var c = new EventCounters(Vcpus, Phases) { _counts = (long[])_counts.Clone() };
        c.Phase = _phase;
        c.Vcpu = _vcpu;
        return c;
    }

    public void CopyFrom(EventCounters s)
    {
        s._counts.CopyTo(_counts, 0);
        Phase = s._phase;
        Vcpu = s._vcpu;
    }
}
