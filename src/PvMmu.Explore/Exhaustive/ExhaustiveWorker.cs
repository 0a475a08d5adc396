using System.Numerics;
using System.Runtime.CompilerServices;
using PvMmu.Explore.Checks;
using PvMmu.Explore.Models;
using PvMmu.Linux.Sched;

namespace PvMmu.Explore.Exhaustive;

/// <summary>
/// One thread of an <see cref="ExhaustiveExplorer"/>: its own model, the path from the start to where it is, and its
/// depth-first stack of <see cref="ExhaustiveFrame"/>s, from which it hands a move not yet started to a thread that
/// has nothing to do.
/// </summary>
internal sealed class ExhaustiveWorker(ExhaustiveExplorer search, IExplorable model)
{
    /// <summary>Sleep sets and enabled sets are bitmasks of four moves per vCPU (the IPI, up to three step alternatives).</summary>
    public const int MaxVcpus = 16;

    /// <summary>The moves one vCPU can have enabled at once.</summary>
    public const int MovesPerVcpu = 1 + Choice.MaxAlternatives;

    private const int FlushEvery = 256;
    private readonly List<ExhaustiveFrame> _frames = [];

    /// <summary>
    /// Scratch for the pairs of a state's enabled moves that commute, by index (at most two moves per vCPU). An array
    /// rather than stackalloc in <see cref="Visit"/>: a method with stackalloc is compiled fully optimised at once,
    /// without the profile that lets tier 1 devirtualise the model's interface calls.
    /// </summary>
    private readonly ulong[] _pairs = new ulong[MovesPerVcpu * MaxVcpus];
    private long _unflushed;
    private long _unflushedDistinct;
    private int _rootDepth;

    public IExplorable Model { get; } = model;

    /// <summary>Per branch bit of the model, how many moves this thread explored that took it.</summary>
    public long[] Coverage { get; } = new long[64];

    public List<Choice> Path { get; } = [];

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
    public static ulong Bit(Choice c) => 1UL << ((c.Cpu * MovesPerVcpu) + (c.Kind == ChoiceKind.TakeIpi ? 0 : 1 + c.Alt));

    /// <summary>Explores from the model's state, which <see cref="Path"/> (of length <paramref name="depth"/>) reached.</summary>
    public string? Start(int depth, ulong sleep, int used, int last)
    {
        _rootDepth = depth;
        return Visit(depth, sleep, used, last);
    }

    /// <summary>
    /// Visits the state the model is in, reached at <paramref name="depth"/> with sleep set <paramref name="sleep"/>,
    /// <paramref name="used"/> preemptions and vCPU <paramref name="last"/> the last to move; expands it if the visited
    /// set says it must be; returns the first violation found below it (the path then leads to it), or null. The model
    /// is left in whatever state the last move explored below it ended in.
    /// </summary>
    private string? Visit(int depth, ulong sleep, int used, int last)
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

        // The state cap: with one thread exactly MaxStates states are visited; with more, each may pass it by the
        // states it has not yet added to the count.
        if (search.StatesSoFar + _unflushed >= search.MaxStates)
        {
            search.ReachCap();
            return null;
        }

        var checkClock = false;
        if (++_unflushed >= FlushEvery)
        {
            Flush();
            checkClock = true;
        }

        Deepest = Math.Max(Deepest, depth);
        var m = Model;
        while (_frames.Count <= depth)
        {
            _frames.Add(new ExhaustiveFrame());
        }

        var f = _frames[depth];
        var fp = m.Fingerprint();

        // The visited set is far bigger than the caches: its slot is fetched while the enabled moves are gathered.
        search.Seen.Prefetch(fp);
        f.Load(m.Enabled());
        var n = f.Count;
        var enabled = f.Enabled;
        ulong enabledMask = 0;
        for (var i = 0; i < n; i++)
        {
            if (enabled[i].Cpu >= MaxVcpus)
            {
                throw new InvalidOperationException($"the exhaustive search keeps {MovesPerVcpu} moves per vCPU in 64 bits: at most {MaxVcpus} vCPUs");
            }

            enabledMask |= Bit(enabled[i]);
        }

        bool isNew;
        ulong explore, working;
        var bound = search.Preemptions;
        if (bound != null)
        {
            isNew = search.Seen.Add(fp);
            explore = search.Budget.ClaimBudget(ExhaustiveExplorer.BudgetKey(fp, last), used) ? enabledMask : 0;
            working = 0;
        }
        else
        {
            search.Seen.ClaimSleep(fp, search.SleepSets ? sleep : 0, enabledMask, out isNew, out explore, out working);
            Slept += isNew ? BitOperations.PopCount(working) : 0;
        }

        if (isNew)
        {
            _unflushedDistinct++;
            if (m.StateViolation() is { } error)
            {
                return error;
            }

            if (m.Done)
            {
                var end = m.EndViolation(out var settled);
                search.Ends.Add(settled);
                return end;
            }

            if (n == 0)
            {
                return ScheduleCheck.Deadlock;
            }
        }

        if (explore == 0)
        {
            return null;
        }

        if ((checkClock && search.ShouldStop(Deepest)) || search.Stopped)
        {
            return null;
        }

        if (depth >= search.MaxDepth)
        {
            search.MarkCut();
            return null;
        }

        var lastCanRun = false;
        if (bound != null && last >= 0)
        {
            for (var i = 0; i < n; i++)
            {
                lastCanRun |= enabled[i].Cpu == last;
            }
        }

        if (search.SleepSets)
        {
            // Which moves commute with which, here: a move asleep (or taken before) stays asleep below one it commutes with.
            var pairs = _pairs.AsSpan(0, n);
            pairs.Clear();
            m.IndependentPairs(enabled.AsSpan(0, n), pairs);
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

        (f.Fingerprint, f.Remaining, f.Done, f.Working, f.Used, f.Last, f.LastCanRun) = (fp, explore, 0, working, used, last, lastCanRun);

        // The state is saved only when a move is about to leave it while another may still be taken from it, and put
        // back only before such a move: with sleep sets most states have one move to take, and then neither is needed
        // (exit-vs-switch on 8 vCPUs: 42,297 moves for 42,282 states). A child leaves the model where it ended.
        object? here = null;
        var left = false;
        for (var i = 0; i < n; i++)
        {
            var c = enabled[i];
            if (!TryStart(f, c, out var cost))
            {
                continue;
            }

            if (search.Stopped)
            {
                return null;
            }

            if (search.Hungry)
            {
                Donate();
            }

            if (left)
            {
                m.Restore(here!);
            }
            else if (f.Remaining != 0)
            {
                here = m.SnapshotInto(f.Snapshot);
                f.Snapshot = here;
            }

            var childSleep = Taken(f, i, c);
            Path.Add(c);
            m.Apply(c);
            if (Visit(depth + 1, childSleep, used + cost, c.Cpu) is { } v)
            {
                return v;
            }

            Path.RemoveAt(Path.Count - 1);
            left = true;
        }

        return null;
    }

    /// <summary>
    /// Takes <paramref name="c"/> off <paramref name="f"/>'s moves still to start: whether it is to be explored here,
    /// that is, whether it was still to start and fits the preemption bound.
    /// </summary>
    private bool TryStart(ExhaustiveFrame f, Choice c, out int cost)
    {
        cost = 0;
        var bit = Bit(c);
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
    private ulong Taken(ExhaustiveFrame f, int i, Choice c)
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
    private bool Fits(ExhaustiveFrame f, Choice c, out int cost)
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
                if (!TryStart(f, c, out var cost))
                {
                    continue;
                }

                var sleep = Taken(f, i, c);
                Choice[] prefix = [.. Path.GetRange(0, d), c];
                search.Give(new SubtreeTask(prefix, sleep, f.Used + cost, c.Cpu));
                return;
            }
        }
    }
}
