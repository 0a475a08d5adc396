using PvMmu.Explore.Models;
using PvMmu.Explore.Search;
using PvMmu.Explore.Visited;
using PvMmu.Linux.Sched;
using PvMmu.Scheduling;

namespace PvMmu.Explore.Exhaustive;

/// <summary>
/// Bounded exhaustive search over a scenario's schedules: depth-first over every enabled move, with a visited set of
/// state fingerprints, so that each distinct state is expanded once. After every move the scenario's invariants are
/// checked; at every end state, once everything has settled, its end properties (for a guest scenario, after every
/// CPU has let go of its lazy references, a WARN or an oops is a violation). The first violation stops the search.
/// <para>
/// Three refinements, each optional. Sleep sets (Godefroid): a move that commutes with the one just taken, and whose
/// order was or will be explored from an ancestor, is not taken again; every reachable state is still visited, with
/// fewer moves. A preemption bound (context bounding, Musuvathi and Qadeer, PLDI 2007): at most K switches away
/// from a vCPU that could still move; sleep sets are then off, since the commuted order can need more preemptions.
/// Threads: the tree is split at a shallow depth into subtrees that threads take in order, sharing the visited set.
/// Either way the visited states and end states are those reachable within the bounds, so their counts and the
/// verdict do not depend on timing; a violation found by threads is derived again by one thread, so the
/// counterexample reported is the one the sequential search finds.
/// </para>
/// </summary>
public sealed class ExhaustiveExplorer(Func<IExplorable> build, int maxDepth = ExhaustiveExplorer.DefaultMaxDepth, long maxStates = 2_000_000)
{
    /// <summary>
    /// The default depth bound, in moves: far past the deepest path of the built-in scenarios (a free-running
    /// scenario's depth-first paths run to thousands of moves before state matching closes them), so that it only
    /// stops a search that would otherwise not end.
    /// </summary>
    public const int DefaultMaxDepth = 100_000;

    /// <summary>
    /// The most visited-set memory a state can cost: under a preemption bound, 16 bytes a slot in a table kept between a
    /// quarter and half full (it doubles when half full), so a search capped at N states holds at most 64·N bytes of
    /// it; without one, 8 bytes a slot, at least half full (at most 16·N, <see cref="SleepTable"/>).
    /// </summary>
    public const int WorstBytesPerState = 64;

    /// <summary>
    /// Why a search capped at <paramref name="maxStates"/> could outgrow this machine's memory, or null if it cannot:
    /// the cap bounds the visited set, so a cap the memory cannot hold is refused before the search starts instead
    /// of ending it in an out-of-memory kill halfway.
    /// </summary>
    public static string? MemoryProblem(long maxStates)
    {
        var have = GC.GetGCMemoryInfo().TotalAvailableMemoryBytes;
        var need = (double)maxStates * WorstBytesPerState;
        if (need <= have * 0.8)
        {
            return null;
        }

        var fits = (long)(have * 0.8 / WorstBytesPerState);
        return $"--max-states {maxStates}: a search that large could need {need / (1L << 30):0.#} GiB of visited set ({WorstBytesPerState} bytes a state at worst), more than the {have / (double)(1L << 30):0.#} GiB this machine has; give --max-states {fits} or less";
    }

    private readonly Lock _clockLock = new();
    private StateTable _ends = new();
    private long _states;
    private long _distinct;
    private bool _cut;
    private bool _capped;
    private bool _timedOut;
    private SearchClock? _clock;
    private readonly Stack<SubtreeTask> _pool = new();
    private CancellationTokenSource? _stop;
    private int _idle;
    private int _pooled;
    private int _given;
    private HashSet<ulong>? _visitedKeys;
    private HashSet<ulong>? _endKeys;

    public ExhaustiveExplorer(Func<Machine> build, int maxDepth = DefaultMaxDepth, long maxStates = 2_000_000)
        : this(() => new MachineModel(build()), maxDepth, maxStates)
    {
    }

    /// <summary>Stop (as a cut, not exhausted) once this much time has passed.</summary>
    public TimeSpan? TimeLimit { get; init; }

    /// <summary>Stop (as a cut) when this is cancelled: a portfolio's stronger search has answered.</summary>
    public CancellationToken Cancel { get; init; }

    /// <summary>Called about once a second with (states, distinct states, deepest, elapsed).</summary>
    public Action<long, long, int, TimeSpan>? Progress { get; init; }

    /// <summary>Partial-order reduction by sleep sets, over the moves the model says commute (on by default).</summary>
    public bool PartialOrder { get; init; } = true;

    /// <summary>At most this many preemptions per schedule; null for no bound.</summary>
    public int? Preemptions { get; init; }

    /// <summary>How many threads search at once (1: the plain depth-first search).</summary>
    public int Threads { get; init; } = 1;

    /// <summary>The fingerprints of every distinct state reached (after <see cref="Run"/>).</summary>
    public IReadOnlySet<ulong> Visited => _visitedKeys ??= Seen.Keys();

    /// <summary>The fingerprints of every end state (all programs done), once settled.</summary>
    public IReadOnlySet<ulong> EndStates => _endKeys ??= _ends.Keys();

    /// <summary>Sleep sets are in use: asked for, and no preemption bound.</summary>
    internal bool SleepSets => PartialOrder && Preemptions == null;

    internal int MaxDepth => maxDepth;

    internal long MaxStates => maxStates;

    /// <summary>Fingerprint → stored sleep set, over-approximated, 8 bytes a state (or just seen, under a preemption bound).</summary>
    internal SleepTable Seen { get; private set; } = new(maxStates);

    /// <summary>Under a preemption bound: (fingerprint, last vCPU) → the fewest preemptions it was reached with.</summary>
    internal StateTable Budget { get; private set; } = new(maxStates);

    /// <summary>The (fingerprint, last vCPU) keys where the preemption bound left a move out.</summary>
    internal StateTable BoundHits { get; private set; } = new();

    internal StateTable Ends => _ends;

    internal long StatesSoFar => Volatile.Read(ref _states);

    internal static ulong BudgetKey(ulong fp, int last) => fp ^ ((ulong)(last + 1) * 0x9E37_79B9_7F4A_7C15UL);

    internal void AddStates(long n) => Interlocked.Add(ref _states, n);

    /// <summary>
    /// <c>--reach</c>: a move that takes one of these branches (bits of the model's <c>TakeBranches</c>) ends the
    /// search as a violation would, with <see cref="ReachedMessage"/>; 0 for none.
    /// </summary>
    public ulong ReachMask { get; init; }

    /// <summary>What a search that reached a <see cref="ReachMask"/> branch reports in place of a violation.</summary>
    public string ReachedMessage { get; init; } = "reached";

    private readonly long[] _coverage = new long[64];

    private void AddCoverage(long[] moves)
    {
        lock (_coverage)
        {
            for (var i = 0; i < moves.Length; i++)
            {
                _coverage[i] += moves[i];
            }
        }
    }

    /// <summary>Adds distinct states a thread has counted; for progress only (the result counts the visited set).</summary>
    internal void AddDistinct(long n) => Interlocked.Add(ref _distinct, n);

    internal void MarkCut() => Volatile.Write(ref _cut, true);

    /// <summary>The state cap is reached: the search stops (every thread), as a time limit stops it.</summary>
    internal void ReachCap()
    {
        Volatile.Write(ref _capped, true);
        MarkCut();
        _stop?.Cancel();
    }

    /// <summary>Reports progress; true (and the search is cut) once the time limit has passed or a stop was asked for.</summary>
    internal bool ShouldStop(int deepest)
    {
        lock (_clockLock)
        {
            _timedOut |= _clock!.Expired(StatesSoFar, Volatile.Read(ref _distinct), deepest);
        }

        if (_timedOut || Cancel.IsCancellationRequested || _stop?.IsCancellationRequested == true)
        {
            // The other threads stop too, and take no more subtrees.
            MarkCut();
            _stop?.Cancel();
            return true;
        }

        return false;
    }

    public ExplorationResult Run()
    {
        if (Threads < 1)
        {
            throw new ArgumentException("an exhaustive search needs at least one thread");
        }

        if (Preemptions < 0)
        {
            throw new ArgumentException("the preemption bound cannot be negative");
        }

        _clock = new SearchClock(TimeLimit, Progress);
        if (Threads == 1)
        {
            // On a thread of its own, as each of several threads searches (the search keeps its stack in its frames,
            // not in recursion, so the thread needs no large stack).
            ExplorationResult? result = null;
            var one = new Thread(() =>
            {
                var w = new ExhaustiveWorker(this, build());
                _names = w.Model.BranchNames;
                var v = w.Start(0, 0, 0, -1);
                w.Flush();
                AddCoverage(w.Coverage);
                result = Result(v, v == null ? [] : [.. w.Path], w.Deepest, w.Slept);
            });
            one.Start();
            one.Join();
            return result!;
        }

        return RunParallel();
    }

    /// <summary>
    /// Every thread runs the depth-first search on a model of its own; the first starts at the start, and whenever a
    /// thread has nothing to do, a busy one hands it a move not yet started from the shallowest state on its stack
    /// (work stealing, so that a subtree that turns out large is shared out as it is found to be).
    /// </summary>
    private ExplorationResult RunParallel()
    {
        using var stop = new CancellationTokenSource();
        _stop = stop;
        _pool.Push(new SubtreeTask([], 0, 0, -1));
        var deepest = 0;
        long slept = 0;
        (string Violation, Move[] Path)? found = null;
        var workers = new Thread[Threads];

        // The models are built here, one after the other, not each on its thread: threads allocating at once take
        // turns in the heap a few kilobytes at a time, so one model's small per-CPU arrays came to share cache lines
        // with the other's, which both threads write at every move (the multicall buffers' bookkeeping ran 2.5 times
        // slower on two threads than on one; measured 2026-12-06, in docs/performance.md's git history).
        var models = new IExplorable[Threads];
        for (var t = 0; t < Threads; t++)
        {
            models[t] = build();
        }

        _names = models[0].BranchNames;

        for (var t = 0; t < Threads; t++)
        {
            var mine = models[t];
            workers[t] = new Thread(() =>
            {
                var w = new ExhaustiveWorker(this, mine);
                var start = w.Model.Snapshot();
                while (Take() is { } task)
                {
                    w.Model.Restore(start);
                    RunLoop.Run(w.Model, new ReplayStrategy(task.Prefix));
                    w.Path.Clear();
                    w.Path.AddRange(task.Prefix);

                    if (w.Start(task.Prefix.Length, task.Sleep, task.Used, task.Last) is { } v)
                    {
                        lock (_pool)
                        {
                            found ??= (v, [.. w.Path]);
                            stop.Cancel();
                            Monitor.PulseAll(_pool);
                        }

                        break;
                    }
                }

                w.Flush();
                AddCoverage(w.Coverage);
                lock (_pool)
                {
                    deepest = Math.Max(deepest, w.Deepest);
                    slept += w.Slept;
                }
            });
            workers[t].Start();
        }

        foreach (var w in workers)
        {
            w.Join();
        }

        _stop = null;
        return found is { } f ? Sequentially(f.Violation, f.Path) : Result(null, [], deepest, slept) with { Subtrees = _given };
    }

    /// <summary>A thread is waiting for work and none is waiting to be taken.</summary>
    internal bool Hungry => Volatile.Read(ref _idle) > 0 && Volatile.Read(ref _pooled) == 0;

    /// <summary>A violation was found by some thread, the time ran out or the state cap was reached: every thread stops.</summary>
    internal bool Stopped => Volatile.Read(ref _capped) || _stop?.IsCancellationRequested == true;

    internal void Give(SubtreeTask task)
    {
        lock (_pool)
        {
            _pool.Push(task);
            _pooled = _pool.Count;
            _given++;
            Monitor.Pulse(_pool);
        }
    }

    /// <summary>The next subtree to explore, waiting for one while another thread is busy; null once all are idle.</summary>
    private SubtreeTask? Take()
    {
        lock (_pool)
        {
            _idle++;
            while (_pool.Count == 0 && _idle < Threads && !Stopped)
            {
                Monitor.Wait(_pool);
            }

            if (_pool.Count == 0 || Stopped)
            {
                // Everyone is idle with nothing left (or a violation was found): wake the rest so they see it too.
                Monitor.PulseAll(_pool);
                return null;
            }

            _idle--;
            var task = _pool.Pop();
            _pooled = _pool.Count;
            return task;
        }
    }

    /// <summary>
    /// A violation found by several threads depends on which got where first; the one thread search from the start
    /// finds the same one every time. Only if that search is cut short (a time limit) does the threads' one stand.
    /// </summary>
    private ExplorationResult Sequentially(string violation, Move[] path)
    {
        var one = new ExhaustiveExplorer(build, maxDepth, maxStates)
        {
            TimeLimit = TimeLimit,
            Cancel = Cancel,
            Progress = Progress,
            PartialOrder = PartialOrder,
            Preemptions = Preemptions,
            ReachMask = ReachMask,
            ReachedMessage = ReachedMessage,
        };
        var r = one.Run();
        (Seen, Budget, BoundHits, _ends, _visitedKeys, _endKeys) = (one.Seen, one.Budget, one.BoundHits, one._ends, null, null);
        if (r.Violation != null)
        {
            return r with { Threads = Threads };
        }

        return r with { Violation = violation, Counterexample = path, Threads = Threads };
    }

    private ExplorationResult Result(string? violation, Move[] path, int deepest, long slept)
    {
        var boundCut = false;
        if (Preemptions is { } k)
        {
            // Left out for good only where even the fewest preemptions that reach the state used the whole bound.
            foreach (var key in BoundHits.Keys())
            {
                boundCut |= Budget.HasBudget(key, k);
            }
        }

        return new ExplorationResult(StatesSoFar, Seen.Count, deepest, violation == null && !Volatile.Read(ref _cut), violation, path)
        {
            TimedOut = _timedOut,
            StateCapped = Volatile.Read(ref _capped),
            MaxStates = maxStates,
            EndStates = _ends.Count,
            PreemptionBound = Preemptions,
            PreemptionBoundCut = boundCut,
            SleepSets = SleepSets,
            Slept = slept,
            Threads = Threads,
            Coverage = [.. _names.Select((name, i) => (name, _coverage[i]))],
            VisitedBytes = Preemptions == null ? Seen.Bytes : Budget.Bytes,
        };
    }

    private IReadOnlyList<string> _names = [];
}
