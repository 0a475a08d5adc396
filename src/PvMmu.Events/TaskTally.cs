namespace PvMmu.Events;

/// <summary>
/// The sink's per-task view: what each task counted, per phase and vCPU. A task is what a real trace's
/// <c>comm-pid</c> column shows: the process or kernel thread current on the vCPU when the event fired (an IPI's
/// handler counts for whatever task it interrupted). The run says which task each vCPU runs (<see cref="Switch"/>);
/// what a vCPU counted since its last switch then goes to the task it leaves. So counting
/// (<see cref="EventSink.Add(EventKind, long)"/>) stays one add, and the tally costs one pass over a vCPU's
/// counters per task switch. Only a run that asks for it has one (<see cref="EventSink.EnableTasks"/>); the explorer's
/// snapshots (<see cref="EventSink.Clone"/>, <see cref="EventSink.CopyFrom"/>) never copy it.
/// </summary>
public sealed class TaskTally
{
    /// <summary>The idle task's name (swapper/N, pid 0, which trace-cmd prints as <c>&lt;idle&gt;-0</c>).</summary>
    public const string IdleName = "<idle>";

    private readonly EventSink _sink;
    private readonly List<string> _names = [];
    private readonly Dictionary<string, int> _ids = new(StringComparer.Ordinal);
    private readonly int[] _current;

    /// <summary>The sink's counters as last folded, per vCPU: the same [phase, vCPU, kind] layout as the sink's.</summary>
    private readonly long[] _seen;

    /// <summary>One row per (task, vCPU) that ran: [phase, kind].</summary>
    private readonly List<long[]> _rows = [];

    /// <summary>Row + 1 of each (task × vCPUs + vCPU), 0 for a pair that never ran.</summary>
    private int[] _rowOf = [];

    internal TaskTally(EventSink sink)
    {
        _sink = sink;
        _current = new int[sink.Vcpus];
        _seen = (long[])sink.Counts.Clone();
        Idle = Register(IdleName);
    }

    /// <summary>The idle task; every vCPU runs it until told otherwise.</summary>
    public int Idle { get; }

    /// <summary>The tasks by id, in the order they were first named.</summary>
    public IReadOnlyList<string> Names => _names;

    /// <summary>The id of the task named <paramref name="name"/>, named now if it is new (threads of a process share one).</summary>
    public int Register(string name)
    {
        if (_ids.TryGetValue(name, out var id))
        {
            return id;
        }

        id = _names.Count;
        _names.Add(name);
        _ids.Add(name, id);
        return id;
    }

    /// <summary>The task vCPU <paramref name="vcpu"/> runs now.</summary>
    public int Current(int vcpu) => _current[vcpu];

    /// <summary>vCPU <paramref name="vcpu"/> now runs <paramref name="task"/>: what it counted so far goes to the task it leaves.</summary>
    public void Switch(int vcpu, int task)
    {
        if ((uint)task >= (uint)_names.Count)
        {
            throw new ArgumentOutOfRangeException(nameof(task), $"task {task} was never named");
        }

        Fold(vcpu);
        _current[vcpu] = task;
    }

    /// <summary>Charges every vCPU's counts since its last switch to its current task: call it before reading.</summary>
    public void Sync()
    {
        for (var v = 0; v < _current.Length; v++)
        {
            Fold(v);
        }
    }

    /// <summary>Whether task <paramref name="task"/> ever counted on vCPU <paramref name="vcpu"/> (or ran there at a sync).</summary>
    public bool Ran(int task, int vcpu)
    {
        var i = (task * _sink.Vcpus) + vcpu;
        return i < _rowOf.Length && _rowOf[i] != 0;
    }

    /// <summary>One event of a task on a vCPU in a phase, as of the last <see cref="Sync"/> or switch of that vCPU.</summary>
    public long Get(int phase, int task, int vcpu, EventKind e)
    {
        var i = (task * _sink.Vcpus) + vcpu;
        return i < _rowOf.Length && _rowOf[i] != 0 ? _rows[_rowOf[i] - 1][(phase * EventKinds.Count) + (int)e] : 0;
    }

    /// <summary>One event of a task in a phase, over every vCPU.</summary>
    public long InTask(int phase, int task, EventKind e)
    {
        long n = 0;
        for (var v = 0; v < _sink.Vcpus; v++)
        {
            n += Get(phase, task, v, e);
        }

        return n;
    }

    /// <summary>Zeroes the tally (the sink was reset); the tasks, and which each vCPU runs, stay.</summary>
    public void Reset()
    {
        foreach (var r in _rows)
        {
            Array.Clear(r);
        }

        Resync();
    }

    /// <summary>Takes the sink's counters as they are now as the point to count from (after a reset or a copy into the sink).</summary>
    internal void Resync() => _sink.Counts.CopyTo(_seen, 0);

    private void Fold(int vcpu)
    {
        var counts = _sink.Counts;
        var kinds = EventKinds.Count;
        long[]? row = null;
        for (var p = 0; p < _sink.Phases; p++)
        {
            var b = ((p * _sink.Vcpus) + vcpu) * kinds;
            for (var e = 0; e < kinds; e++)
            {
                var d = counts[b + e] - _seen[b + e];
                if (d == 0)
                {
                    continue;
                }

                row ??= Row(_current[vcpu], vcpu);
                row[(p * kinds) + e] += d;
                _seen[b + e] = counts[b + e];
            }
        }
    }

    private long[] Row(int task, int vcpu)
    {
        var i = (task * _sink.Vcpus) + vcpu;
        if (i >= _rowOf.Length)
        {
            Array.Resize(ref _rowOf, Math.Max(i + 1, _rowOf.Length * 2));
        }

        if (_rowOf[i] == 0)
        {
            _rows.Add(new long[_sink.Phases * EventKinds.Count]);
            _rowOf[i] = _rows.Count;
        }

        return _rows[_rowOf[i] - 1];
    }
}
