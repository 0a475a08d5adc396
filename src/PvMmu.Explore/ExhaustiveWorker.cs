using System.Numerics;
using PvMmu.Linux.Sched;

namespace PvMmu.Explore;

/// <summary>
/// One thread of an <see cref="ExhaustiveExplorer"/>: its own model, the path from the start to where it is, and a
/// buffer of enabled moves per depth (the model's span is overwritten by the next state's).
/// </summary>
internal sealed class ExhaustiveWorker(ExhaustiveExplorer search, IExplorable model)
{
    private const int FlushEvery = 256;
    private readonly List<Choice[]> _enabled = [];
    private long _unflushed;

    public IExplorable Model { get; } = model;

    public List<Choice> Path { get; } = [];

    public long Slept { get; private set; }

    public int Deepest { get; private set; }

    /// <summary>When set, the search stops at this depth and records each state there as a subtree to explore later.</summary>
    public int SplitDepth { get; set; } = -1;

    public List<SubtreeTask>? Tasks { get; set; }

    /// <summary>Adds what this thread has counted to the search's total.</summary>
    public void Flush()
    {
        search.AddStates(_unflushed);
        _unflushed = 0;
    }

    public static ulong Bit(Choice c) => 1UL << ((c.Cpu * 2) + (int)c.Kind);

    private static Choice FromBit(int bit) => new(bit >> 1, (ChoiceKind)(bit & 1));

    /// <summary>
    /// Visits the state the model is in, reached at <paramref name="depth"/> with sleep set <paramref name="sleep"/>,
    /// <paramref name="used"/> preemptions and vCPU <paramref name="last"/> the last to move; expands it if the visited
    /// set says it must be; returns the first violation found below it (the path then leads to it), or null.
    /// </summary>
    public string? Visit(int depth, ulong sleep, int used, int last)
    {
        if (depth == SplitDepth)
        {
            Tasks!.Add(new SubtreeTask([.. Path], sleep, used, last));
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
        var fp = m.Fingerprint();
        var span = m.Enabled();
        var n = span.Length;
        while (_enabled.Count <= depth)
        {
            _enabled.Add(new Choice[8]);
        }

        if (_enabled[depth].Length < n)
        {
            _enabled[depth] = new Choice[n * 2];
        }

        var enabled = _enabled[depth];
        span.CopyTo(enabled);
        ulong enabledMask = 0;
        for (var i = 0; i < n; i++)
        {
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
            search.CountDistinct();
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

        if (checkClock && search.ShouldStop(Deepest))
        {
            return null;
        }

        if (depth >= search.MaxDepth || search.StatesSoFar + _unflushed >= search.MaxStates)
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

        var here = m.Snapshot();
        ulong done = 0;
        for (var i = 0; i < n; i++)
        {
            var c = enabled[i];
            var bit = Bit(c);
            if ((explore & bit) == 0)
            {
                continue;
            }

            // Context bounding: moving another vCPU while the last one could go on is a preemption.
            var cost = bound != null && last >= 0 && c.Cpu != last && lastCanRun ? 1 : 0;
            if (used + cost > bound)
            {
                search.BoundHits.Add(ExhaustiveExplorer.BudgetKey(fp, last));
                continue;
            }

            // A move asleep here (or taken before c here) stays asleep below c if it commutes with c.
            ulong childSleep = 0;
            for (var candidates = working | done; candidates != 0; candidates &= candidates - 1)
            {
                var b = BitOperations.TrailingZeroCount(candidates);
                if (m.Independent(FromBit(b), c))
                {
                    childSleep |= 1UL << b;
                }
            }

            Path.Add(c);
            m.Apply(c);
            if (Visit(depth + 1, childSleep, used + cost, c.Cpu) is { } v)
            {
                return v;
            }

            Path.RemoveAt(Path.Count - 1);
            m.Restore(here);
            done |= search.SleepSets ? bit : 0;
        }

        return null;
    }
}
