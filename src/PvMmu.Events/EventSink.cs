namespace PvMmu.Events;

/// <summary>
/// The one place both models count what they do: a flat array indexed by [phase, vCPU, <see cref="EventKind"/>].
/// Counting is one add at a computed index, so it costs next to nothing on the hot paths and allocates nothing.
/// The run that owns the sink names the phases and says which one events are charged to now; the hypervisor model
/// says which vCPU its own events go to (<see cref="Vcpu"/>), the guest model names the vCPU with each event.
/// Counters, tracepoint counts, costs, phases, traces and reports are all read from here. A run that wants to know
/// which task counted what asks for the per-task view (<see cref="EnableTasks"/>, <see cref="TaskTally"/>).
/// </summary>
public sealed class EventSink
{
    private long[] _counts;
    private int _base;
    private int _phase;
    private int _vcpu;

    /// <summary>A sink of one phase, "all", for models run without a workload's phases.</summary>
    public EventSink(int vcpus)
        : this(vcpus, ["all"])
    {
    }

    /// <summary>A sink with the phases the run names (events are charged to the first until it says otherwise).</summary>
    public EventSink(int vcpus, IReadOnlyList<string> phases)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(vcpus, 1);
        ArgumentOutOfRangeException.ThrowIfZero(phases.Count);
        Vcpus = vcpus;
        PhaseNames = phases;
        _counts = new long[phases.Count * vcpus * EventKinds.Count];
    }

    public int Vcpus { get; }

    /// <summary>The per-task view, or null when the run did not ask for one (<see cref="EnableTasks"/>).</summary>
    public TaskTally? Tasks { get; private set; }

    /// <summary>The flat counters, for the per-task view's fold.</summary>
    internal long[] Counts => _counts;

    public IReadOnlyList<string> PhaseNames { get; }

    public int Phases => PhaseNames.Count;

    /// <summary>The phase events are charged to now, set by the run that owns the sink.</summary>
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
            _base = ((value * Vcpus) + _vcpu) * EventKinds.Count;
        }
    }

    /// <summary>The vCPU that <see cref="Add(EventKind, long)"/> charges: the hypervisor sets it on each entry.</summary>
    public int Vcpu
    {
        get => _vcpu;
        set
        {
            _vcpu = value;
            _base = ((_phase * Vcpus) + value) * EventKinds.Count;
        }
    }

    /// <summary>The index of a phase by its name; it throws for a name the run did not give.</summary>
    public int PhaseIndex(string name)
    {
        for (var p = 0; p < PhaseNames.Count; p++)
        {
            if (PhaseNames[p] == name)
            {
                return p;
            }
        }

        throw new ArgumentException($"no phase '{name}'; the phases are {string.Join(", ", PhaseNames)}", nameof(name));
    }

    /// <summary>Counts an event on the current vCPU (<see cref="Vcpu"/>) in the current phase.</summary>
    public void Add(EventKind e, long n = 1) => _counts[_base + (int)e] += n;

    /// <summary>Counts an event on <paramref name="vcpu"/> in the current phase.</summary>
    public void Add(int vcpu, EventKind e, long n = 1) => _counts[(((_phase * Vcpus) + vcpu) * EventKinds.Count) + (int)e] += n;

    public long Get(int phase, int vcpu, EventKind e) => _counts[(((phase * Vcpus) + vcpu) * EventKinds.Count) + (int)e];

    /// <summary>One event over every vCPU of a phase.</summary>
    public long InPhase(int phase, EventKind e)
    {
        long n = 0;
        for (var v = 0; v < Vcpus; v++)
        {
            n += Get(phase, v, e);
        }

        return n;
    }

    /// <summary>One event of one vCPU over every phase.</summary>
    public long ForVcpu(int vcpu, EventKind e)
    {
        long n = 0;
        for (var p = 0; p < Phases; p++)
        {
            n += Get(p, vcpu, e);
        }

        return n;
    }

    /// <summary>One event over every phase and vCPU.</summary>
    public long Total(EventKind e)
    {
        long n = 0;
        for (var i = (int)e; i < _counts.Length; i += EventKinds.Count)
        {
            n += _counts[i];
        }

        return n;
    }

    /// <summary>
    /// Turns on the per-task view (every vCPU running the idle task until the run says otherwise), or returns the one
    /// already on. It counts from now on; it is not part of <see cref="Clone"/> or <see cref="CopyFrom"/>.
    /// </summary>
    public TaskTally EnableTasks() => Tasks ??= new TaskTally(this);

    /// <summary>Zeroes every count (the phase and vCPU stay), the per-task view's too.</summary>
    public void Reset()
    {
        Array.Clear(_counts);
        Tasks?.Reset();
    }

    /// <summary>A copy: the counts, the phases, the current phase and vCPU (not the per-task view).</summary>
    public EventSink Clone()
    {
        var c = new EventSink(Vcpus, PhaseNames) { _counts = (long[])_counts.Clone() };
        c.Phase = _phase;
        c.Vcpu = _vcpu;
        return c;
    }

    /// <summary>
    /// Makes this sink equal to <paramref name="s"/> (same vCPUs and phases). A per-task view of this sink keeps its
    /// tally and counts on from the copied counters.
    /// </summary>
    public void CopyFrom(EventSink s)
    {
        s._counts.CopyTo(_counts, 0);
        Phase = s._phase;
        Vcpu = s._vcpu;
        Tasks?.Resync();
    }

    /// <summary>Whether <paramref name="s"/> has the same phases and vCPUs and every count equal to this sink's.</summary>
    public bool SameCounts(EventSink s) => SameShape(s) && PhaseNames.SequenceEqual(s.PhaseNames) && _counts.AsSpan().SequenceEqual(s._counts);

    /// <summary>Whether <see cref="CopyFrom"/> can copy <paramref name="s"/> into this sink.</summary>
    public bool SameShape(EventSink s) => s.Vcpus == Vcpus && s.Phases == Phases;
}
