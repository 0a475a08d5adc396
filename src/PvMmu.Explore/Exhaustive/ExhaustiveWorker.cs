using System.Numerics;
using System.Runtime.CompilerServices;
using PvMmu.Explore.Checks;
using PvMmu.Explore.Models;
using PvMmu.Scheduling;

namespace PvMmu.Explore.Exhaustive;

/// <summary>
/// One thread of an <see cref="ExhaustiveExplorer"/>: its own model, the path from the start to where it is, and its
/// depth-first stack of <see cref="ExhaustiveFrame"/>s, from which it hands a move not yet started to a thread that
/// has nothing to do.
/// </summary>
internal sealed class ExhaustiveWorker(ExhaustiveExplorer search, IExplorable model) : ISchedulingStrategy
{
    /// <summary>Sleep sets and enabled sets are bitmasks of four moves per vCPU (the IPI, up to three step alternatives).</summary>
    public const int MaxVcpus = 16;

    /// <summary>The moves one vCPU can have enabled at once.</summary>
    public const int MovesPerVcpu = 1 + Move.MaxAlternatives;

    private const int FlushEvery = 256;
    private readonly List<ExhaustiveFrame> _frames = [];

    /// <summary>
    /// Scratch for the pairs of a state's enabled moves that commute, by index (at most two moves per vCPU). An array
    /// rather than stackalloc in <see cref="Prepare"/>: a method with stackalloc is compiled fully optimised at once,
    /// without the profile that lets tier 1 devirtualise the model's interface calls.
    /// </summary>
    private readonly ulong[] _pairs = new ulong[MovesPerVcpu * MaxVcpus];
    private long _unflushed;
    private long _unflushedDistinct;
    private int _rootDepth;

    // Where the search is: the state the last move reached, its depth, and what the search carries into it.
    private int _depth;
    private ulong _sleep;
    private int _used;
    private int _last;

    public IExplorable Model { get; } = model;

    /// <summary>
    /// Whether a state's moves are named by their index in its list instead of by vCPU and alternative
    /// (<see cref="IExplorable.MovesByIndex"/>): then no sleep set can name them, and the model reports no pair of
    /// moves independent.
    /// </summary>
    private readonly bool _byIndex = model.MovesByIndex;

    /// <summary>Per branch bit of the model, how many moves this thread explored that took it.</summary>
    public long[] Coverage { get; } = new long[64];

    public List<Move> Path { get; } = [];

    public long Slept { get; private set; }

    public int Deepest { get; private set; }

    /// <summary>Adds what this thread has counted to the search's total.</summary>
    public void Flush()
    {
        // Counted here and added in batches: a shared counter written at every state costs the other thread a cache
        // miss each time it reads a field beside it.
        search.AddStates(_unflushed);
        search.AddDistinct(_unflushedDistinct);
        _unflushed = 0;
        _unflushedDistinct = 0;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ulong Bit(Move c) => 1UL << ((c.Cpu * MovesPerVcpu) + (c.Kind == MoveKind.TakeIpi ? 0 : 1 + c.Alt));

    /// <summary>The first violation found below the root (the path then leads to it), or null.</summary>
    public string? Found { get; private set; }

    /// <summary>
    /// Explores from the model's state, which <see cref="Path"/> (of length <paramref name="depth"/>) reached, with
    /// sleep set <paramref name="sleep"/>, <paramref name="used"/> preemptions and vCPU <paramref name="last"/> the
    /// last to move: <see cref="RunLoop"/> drives the model with this worker as its strategy. Returns the first
    /// violation found below it, or null; the model is left in whatever state the last move explored ended in.
    /// </summary>
    public string? Start(int depth, ulong sleep, int used, int last)
    {
        _rootDepth = depth;
        (_depth, _sleep, _used, _last) = (depth, sleep, used, last);
        Found = null;
        RunLoop.Run(Model, this);
        return Found;
    }

    /// <summary>
    /// Depth-first search as a strategy: visits the state the last move reached (<see cref="Visit"/>); then takes the
    /// next move still to start from the deepest state on the stack that has one, restoring that state first when a
    /// move was already explored from it. False once the subtree is done, a violation is found or the search stops.
    /// </summary>
    public bool TryNext(ISchedulable model, out Move move)
    {
        move = default;
        var d = _depth;
        switch (Visit(d, _sleep, _used, _last))
        {
            case Visited.Violation:
                return false;
            case Visited.Leaf:
                if (d == _rootDepth)
                {
                    return false;
                }

                d--;
                Path.RemoveAt(Path.Count - 1);
                break;
        }

        // As a recursive search unwinds: a state with no move left to start (or a search stopped) goes back to its parent.
        while (true)
        {
            var f = _frames[d];
            if (NextMove(f, out move, out var childSleep, out var cost))
            {
                Path.Add(move);
                (_depth, _sleep, _used, _last) = (d + 1, childSleep, f.Used + cost, move.Cpu);
                return true;
            }

            if (d == _rootDepth)
            {
                return false;
            }

            d--;
            Path.RemoveAt(Path.Count - 1);
        }
    }

    /// <summary>What <see cref="Visit"/> made of a state.</summary>
    private enum Visited
    {
        /// <summary>Nothing to explore below it (seen before, an end, a cap, a stop).</summary>
        Leaf,

        /// <summary>Its frame holds the moves to explore from it.</summary>
        Expand,

        /// <summary>It breaks a property (<see cref="Found"/>).</summary>
        Violation,
    }

    /// <summary>
    /// Visits the state the model is in, reached at <paramref name="depth"/> with sleep set <paramref name="sleep"/>,
    /// <paramref name="used"/> preemptions and vCPU <paramref name="last"/> the last to move: counts it, claims it in
    /// the visited set, checks it if it is new, and, if it is to be expanded, fills its frame.
    /// </summary>
    private Visited Visit(int depth, ulong sleep, int used, int last)
    {
        if (Cover() is { } reached)
        {
            Found = reached;
            return Visited.Violation;
        }

        // The state cap: with one thread exactly MaxStates states are visited; with more, each may pass it by the
        // states it has not yet added to the count.
        if (search.StatesSoFar + _unflushed >= search.MaxStates)
        {
            search.ReachCap();
            return Visited.Leaf;
        }

        var checkClock = false;
        if (++_unflushed >= FlushEvery)
        {
            Flush();
            checkClock = true;
        }

        Deepest = Math.Max(Deepest, depth);
        while (_frames.Count <= depth)
        {
            // Its snapshot is made the first time a move leaves a state at this depth with another still to take
            // (NextMove), and only overwritten after: the search allocates per depth at most, never per state, and
            // not at all for the depths where every state has one move to take (most of a deep search's).
            _frames.Add(new ExhaustiveFrame());
        }

        var f = _frames[depth];
        var fp = Model.Fingerprint();
        var enabledMask = Load(f, fp);
        var explore = Claim(fp, sleep, used, last, enabledMask, out var isNew, out var working);
        if (isNew)
        {
            _unflushedDistinct++;
            if (Judge(f.Count) is { } error)
            {
                Found = error;
                return Visited.Violation;
            }

            if (Model.Done)
            {
                return Visited.Leaf;
            }
        }

        if (explore == 0 || (checkClock && search.ShouldStop(Deepest)) || search.Stopped)
        {
            return Visited.Leaf;
        }

        if (depth >= search.MaxDepth)
        {
            search.MarkCut();
            return Visited.Leaf;
        }

        Prepare(f, last);
        (f.Fingerprint, f.Remaining, f.Done, f.Working, f.Used, f.Last) = (fp, explore, 0, working, used, last);
        (f.Next, f.Left) = (0, false);
        return Visited.Expand;
    }

    /// <summary>Counts the branches the last move took (coverage); the <c>--reach</c> message if it took the one sought.</summary>
    private string? Cover()
    {
        if (Model.TakeBranches() is var took and not 0)
        {
            for (var rest = took; rest != 0; rest &= rest - 1)
            {
                Coverage[BitOperations.TrailingZeroCount(rest)]++;
            }

            if ((took & search.ReachMask) != 0)
            {
                return search.ReachedMessage;
            }
        }

        return null;
    }

    /// <summary>Copies the state's enabled moves into its frame; returns them as a bitmask.</summary>
    private ulong Load(ExhaustiveFrame f, ulong fp)
    {
        // The visited set is far bigger than the caches: its slot is fetched while the enabled moves are gathered.
        search.Seen.Prefetch(fp);
        f.Load(Model.Enabled());
        var enabled = f.Enabled;
        if (_byIndex)
        {
            // Moves named by their place in the state's list (a model with more moves per vCPU than the encoding holds).
            if (f.Count > 64)
            {
                throw new InvalidOperationException($"the exhaustive search keeps a state's moves in 64 bits; this state has {f.Count}");
            }

            return f.Count == 64 ? ulong.MaxValue : (1UL << f.Count) - 1;
        }

        ulong enabledMask = 0;
        for (var i = 0; i < f.Count; i++)
        {
            if (enabled[i].Cpu >= MaxVcpus)
            {
                throw new InvalidOperationException($"the exhaustive search keeps {MovesPerVcpu} moves per vCPU in 64 bits: at most {MaxVcpus} vCPUs");
            }

            enabledMask |= Bit(enabled[i]);
        }

        return enabledMask;
    }

    /// <summary>
    /// Claims the state in the visited set: whether it is new, and the moves to explore from it (under a preemption
    /// bound, all of them if it was never reached with as few preemptions; else those not asleep here and not
    /// explored from it before, with <paramref name="working"/> the sleep set it is expanded with).
    /// </summary>
    private ulong Claim(ulong fp, ulong sleep, int used, int last, ulong enabledMask, out bool isNew, out ulong working)
    {
        if (search.Preemptions != null)
        {
            isNew = search.Seen.Add(fp);
            working = 0;
            return search.Budget.ClaimBudget(ExhaustiveExplorer.BudgetKey(fp, last), used) ? enabledMask : 0;
        }

        search.Seen.ClaimSleep(fp, search.SleepSets ? sleep : 0, enabledMask, out isNew, out var explore, out working);
        Slept += isNew ? BitOperations.PopCount(working) : 0;
        return explore;
    }

    /// <summary>A new state's verdict: a broken invariant, at an end what is wrong once settled, or a deadlock; else null.</summary>
    private string? Judge(int enabled)
    {
        if (Model.StateViolation() is { } error)
        {
            return error;
        }

        if (Model.Done)
        {
            var end = Model.EndViolation(out var settled);
            search.Ends.Add(settled);
            return end;
        }

        return enabled == 0 ? ScheduleCheck.Deadlock : null;
    }

    /// <summary>Fills what expanding the state needs: whether the last vCPU can go on, and which moves commute here.</summary>
    private void Prepare(ExhaustiveFrame f, int last)
    {
        var n = f.Count;
        var enabled = f.Enabled;
        var lastCanRun = false;
        if (search.Preemptions != null && last >= 0)
        {
            for (var i = 0; i < n; i++)
            {
                lastCanRun |= enabled[i].Cpu == last;
            }
        }

        f.LastCanRun = lastCanRun;
        if (search.SleepSets)
        {
            // Which moves commute with which, here: a move asleep (or taken before) stays asleep below one it commutes with.
            var pairs = _pairs.AsSpan(0, n);
            pairs.Clear();
            Model.IndependentPairs(enabled.AsSpan(0, n), pairs);
            for (var i = 0; i < n; i++)
            {
                ulong ind = 0;
                for (var rest = pairs[i]; rest != 0; rest &= rest - 1)
                {
                    ind |= Bit(enabled[BitOperations.TrailingZeroCount(rest)]);
                }

                f.IndependentOf[i] = ind;
            }
        }
    }

    /// <summary>
    /// The next move to explore from <paramref name="f"/>'s state, with the sleep set and preemption it carries, the
    /// model put back into that state first if a move was explored from it already; false when none is left or the
    /// search stopped. The state is saved only when a move is about to leave it while another may still be taken from
    /// it: with sleep sets most states have one move to take, and then neither save nor restore is needed
    /// (exit-vs-switch on 8 vCPUs: 42,297 moves for 42,282 states).
    /// </summary>
    private bool NextMove(ExhaustiveFrame f, out Move move, out ulong childSleep, out int cost)
    {
        while (f.Next < f.Count)
        {
            var i = f.Next++;
            var c = f.Enabled[i];
            if (!TryStart(f, i, c, out cost))
            {
                continue;
            }

            if (search.Stopped)
            {
                break;
            }

            if (search.Hungry)
            {
                Donate();
            }

            if (f.Left)
            {
                Model.Restore(f.Snapshot!);
            }
            else if (f.Remaining != 0)
            {
                f.Snapshot = Model.SnapshotInto(f.Snapshot);
            }

            childSleep = Taken(f, i, c);
            f.Left = true;
            move = c;
            return true;
        }

        (move, childSleep, cost) = (default, 0, 0);
        return false;
    }

    /// <summary>
    /// Takes <paramref name="c"/> off <paramref name="f"/>'s moves still to start: whether it is to be explored here,
    /// that is, whether it was still to start and fits the preemption bound.
    /// </summary>
    private bool TryStart(ExhaustiveFrame f, int i, Move c, out int cost)
    {
        cost = 0;
        var bit = _byIndex ? 1UL << i : Bit(c);
        if ((f.Remaining & bit) == 0)
        {
            return false;
        }

        f.Remaining &= ~bit;
        return Fits(f, c, out cost);
    }

    /// <summary>
    /// Move <paramref name="i"/> of <paramref name="f"/> counts as taken once started, here or by the thread it is
    /// handed to: the moves after it here (and those handed to other threads, explored as if after it) sleep on it.
    /// Returns the sleep set below it, taken before it joins them.
    /// </summary>
    private ulong Taken(ExhaustiveFrame f, int i, Move c)
    {
        if (!search.SleepSets)
        {
            return 0;
        }

        var below = (f.Working | f.Done) & f.IndependentOf[i];
        f.Done |= Bit(c);
        return below;
    }

    /// <summary>Context bounding: moving another vCPU while the last one could go on is a preemption; false past the bound.</summary>
    private bool Fits(ExhaustiveFrame f, Move c, out int cost)
    {
        var bound = search.Preemptions;
        cost = bound != null && f.Last >= 0 && c.Cpu != f.Last && f.LastCanRun ? 1 : 0;
        if (f.Used + cost > bound)
        {
            search.BoundHits.Add(ExhaustiveExplorer.BudgetKey(f.Fingerprint, f.Last));
            return false;
        }

        return true;
    }

    /// <summary>
    /// A thread is idle: hand it the next move not yet started of the shallowest state on this stack (the biggest
    /// subtree at hand). It is the move this thread would have taken next there, with the same sleep set, so the
    /// threads explore the orders one thread would, only at once.
    /// </summary>
    private void Donate()
    {
        for (var d = _rootDepth; d <= Path.Count; d++)
        {
            var f = _frames[d];
            for (var i = 0; i < f.Count; i++)
            {
                var c = f.Enabled[i];
                if (!TryStart(f, i, c, out var cost))
                {
                    continue;
                }

                var sleep = Taken(f, i, c);
                Move[] prefix = [.. Path.GetRange(0, d), c];
                search.Give(new SubtreeTask(prefix, sleep, f.Used + cost, c.Cpu));
                return;
            }
        }
    }
}
