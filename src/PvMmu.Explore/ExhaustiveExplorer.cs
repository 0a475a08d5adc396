using PvMmu.Linux.Sched;

namespace PvMmu.Explore;

/// <summary>
/// Bounded exhaustive search over a scenario's schedules: depth-first over every enabled move, with a visited set of
/// state fingerprints, so that each distinct state is expanded once. After every move the scenario's invariants are
/// checked; at every end state, once everything has settled, its end properties (for a guest scenario, after every
/// CPU has let go of its lazy references, a WARN or an oops is a violation). The first violation stops the search.
/// </summary>
public sealed class ExhaustiveExplorer(Func<IExplorable> build, int maxDepth = 200, long maxStates = 2_000_000)
{
    private readonly HashSet<ulong> _visited = [];
    private readonly HashSet<ulong> _ends = [];
    private long _states;
    private int _deepest;
    private bool _cut;
    private bool _timedOut;
    private SearchClock? _clock;

    public ExhaustiveExplorer(Func<Machine> build, int maxDepth = 200, long maxStates = 2_000_000)
        : this(() => new MachineModel(build()), maxDepth, maxStates)
    {
    }

    /// <summary>Stop (as a cut, not exhausted) once this much time has passed.</summary>
    public TimeSpan? TimeLimit { get; init; }

    /// <summary>Stop (as a cut) when this is cancelled: a portfolio's stronger search has answered.</summary>
    public CancellationToken Cancel { get; init; }

    /// <summary>Called about once a second with (states, distinct states, deepest, elapsed).</summary>
    public Action<long, long, int, TimeSpan>? Progress { get; init; }

    /// <summary>The fingerprints of every distinct state reached (after <see cref="Run"/>).</summary>
    public IReadOnlySet<ulong> Visited => _visited;

    /// <summary>The fingerprints of every end state (all programs done), once settled.</summary>
    public IReadOnlySet<ulong> EndStates => _ends;

    public ExplorationResult Run()
    {
        _clock = new SearchClock(TimeLimit, Progress);
        var m = build();
        var path = new List<Choice>();
        var violation = Visit(m, path, 0);
        return new ExplorationResult(_states, _visited.Count, _deepest, violation == null && !_cut, violation, violation == null ? [] : [.. path]) { TimedOut = _timedOut };
    }

    private string? Visit(IExplorable m, List<Choice> path, int depth)
    {
        _states++;
        _deepest = Math.Max(_deepest, depth);
        if (!_visited.Add(m.Fingerprint()))
        {
            return null;
        }

        if (m.StateViolation() is { } error)
        {
            return error;
        }

        if (m.Done)
        {
            var end = m.EndViolation(out var settled);
            _ends.Add(settled);
            return end;
        }

        var enabled = m.Enabled().ToArray();
        if (enabled.Length == 0)
        {
            return ScheduleCheck.Deadlock;
        }

        if ((_states & 255) == 0)
        {
            _timedOut = _clock!.Expired(_states, _visited.Count, _deepest);
            if (_timedOut || Cancel.IsCancellationRequested)
            {
                _cut = true;
                return null;
            }
        }

        if (depth >= maxDepth || _states >= maxStates)
        {
            _cut = true;
            return null;
        }

        var here = m.Snapshot();
        foreach (var c in enabled)
        {
            path.Add(c);
            m.Apply(c);
            var v = Visit(m, path, depth + 1);
            if (v != null)
            {
                return v;
            }

            path.RemoveAt(path.Count - 1);
            m.Restore(here);
        }

        return null;
    }
}
