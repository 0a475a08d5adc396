using PvMmu.Scheduling;

namespace PvMmu.Explore.Sampling;

/// <summary>
/// Probabilistic concurrency testing (Burckhardt, Kothari, Musuvathi and Nagarakatte, "A Randomized Scheduler with
/// Probabilistic Guarantees of Finding Bugs", ASPLOS 2010) for one schedule: each vCPU gets a distinct random
/// priority from d upwards; d − 1 change points are drawn among the first <c>k</c> moves; the enabled vCPU of
/// highest priority moves, and when the schedule reaches change point i, the vCPU about to move drops to priority
/// i, below every initial one. A bug of depth d is found with probability at least 1/(n·k^(d−1)). Where that vCPU
/// can both step and take an IPI, the generator picks which.
/// </summary>
public sealed class PctScheduler : IScheduler
{
    private readonly int[] _priority;
    private readonly int[] _changeAt;
    private readonly SeededRandomScheduler _random;
    private int _moves;

    public PctScheduler(ulong seed, int vcpus, int depth, int steps)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(depth, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(steps, 1);
        _random = new SeededRandomScheduler(seed);
        _priority = new int[vcpus];
        for (var v = 0; v < vcpus; v++)
        {
            _priority[v] = depth + v;
        }

        // A random permutation of the initial priorities (Fisher–Yates).
        for (var v = vcpus - 1; v > 0; v--)
        {
            var j = (int)(Next() % (ulong)(v + 1));
            (_priority[v], _priority[j]) = (_priority[j], _priority[v]);
        }

        _changeAt = new int[depth - 1];
        for (var i = 0; i < _changeAt.Length; i++)
        {
            _changeAt[i] = 1 + (int)(Next() % (ulong)steps);
        }
    }

    public int Choose(ReadOnlySpan<Move> enabled)
    {
        _moves++;
        var cpu = Highest(enabled);
        for (var i = 0; i < _changeAt.Length; i++)
        {
            if (_changeAt[i] == _moves)
            {
                _priority[cpu] = i;
                cpu = Highest(enabled);
            }
        }

        var count = 0;
        foreach (var c in enabled)
        {
            count += c.Cpu == cpu ? 1 : 0;
        }

        var pick = count > 1 ? (int)(Next() % (ulong)count) : 0;
        for (var i = 0; i < enabled.Length; i++)
        {
            if (enabled[i].Cpu == cpu && pick-- == 0)
            {
                return i;
            }
        }

        throw new InvalidOperationException("no enabled move for the chosen vCPU");
    }

    private int Highest(ReadOnlySpan<Move> enabled)
    {
        var best = -1;
        foreach (var c in enabled)
        {
            if (best < 0 || _priority[c.Cpu] > _priority[best])
            {
                best = c.Cpu;
            }
        }

        return best;
    }

    private ulong Next() => _random.Next();
}
