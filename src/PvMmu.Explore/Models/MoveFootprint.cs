using PvMmu.Linux.Sched;
using PvMmu.Scheduling;

namespace PvMmu.Explore.Models;

/// <summary>
/// A conservative footprint of a guest scenario's moves, for partial-order reduction: a move is <em>local</em> when
/// it reads and writes only its own vCPU's state that no other vCPU's move reads or writes (its place in its
/// program, IRQs-off, lazy mode, an empty multicall batch), and two moves of different vCPUs commute when one of them
/// is local. Everything else (a CR3 switch, which another CPU's exit reads through mm_cpumask, LoadedMm or
/// xen_current_cr3; a hypercall; an IPI; an mm's reference counts) is shared and assumed to conflict with every
/// other shared move. ExplorerTests checks the claim against real commutation in every reachable state.
/// </summary>
public static class MoveFootprint
{
    /// <summary>Whether <paramref name="a"/> and <paramref name="b"/>, both enabled on <paramref name="m"/>, commute.</summary>
    public static bool Independent(Machine m, Move a, Move b) =>
        a.Cpu != b.Cpu && (Local(m, a) || Local(m, b));

    /// <summary>
    /// <see cref="Independent"/> for every pair of <paramref name="enabled"/> (at most 64 moves): <see cref="Local"/>
    /// once per move, then bit j of <paramref name="independentOf"/>[i] is set when moves i and j are on different
    /// vCPUs and one of them is local.
    /// </summary>
    public static void IndependentPairs(Machine m, ReadOnlySpan<Move> enabled, Span<ulong> independentOf)
    {
        ArgumentNullException.ThrowIfNull(m);
        ulong local = 0;

        // The moves of each CPU, as a mask over the enabled ones: a pass over them, not one per pair.
        Span<ulong> onCpu = m.K.Cpus <= 64 ? stackalloc ulong[m.K.Cpus] : new ulong[m.K.Cpus];
        onCpu.Clear();
        for (var i = 0; i < enabled.Length; i++)
        {
            local |= Local(m, enabled[i]) ? 1UL << i : 0;
            onCpu[enabled[i].Cpu] |= 1UL << i;
        }

        var all = enabled.Length == 64 ? ulong.MaxValue : (1UL << enabled.Length) - 1;
        for (var i = 0; i < enabled.Length; i++)
        {
            var partners = (local & (1UL << i)) != 0 ? all : local;
            independentOf[i] = partners & ~onCpu[enabled[i].Cpu];
        }
    }

    /// <summary>
    /// Wait and Signal touch only the program counters and a flag that is only ever set (a Wait is enabled only once
    /// it is). Of a context switch (Run, Kthread, Schedule), the first step (IRQs off, lazy CPU mode entered) and the
    /// fourth (IRQs on) touch only the CPU's own IRQs-off flag, lazy mode and place in its program; the third
    /// (xen_mc_flush, lazy CPU mode left) too when the batch is empty; and the second when it is a kernel thread's on
    /// a CPU that has nothing loaded (init_mm): enter_lazy_tlb borrows no mm. None of these is read by another CPU.
    /// </summary>
    public static bool Local(Machine m, Move c)
    {
        if (c.Kind != MoveKind.Step || m.CurrentOp(c.Cpu) is not { } op)
        {
            return false;
        }

        return op.Kind switch
        {
            OpKind.Wait or OpKind.Signal => true,
            OpKind.Run or OpKind.Kthread or OpKind.Schedule => m.CurrentStep(c.Cpu) switch
            {
                0 or 3 => true,
                1 => IsKthreadSwitch(m, c, op) && m.K.LoadedMm[c.Cpu] == 0,
                2 => m.K.Mc.Pending(c.Cpu) == 0,
                _ => false,
            },
            _ => false,
        };
    }

    /// <summary>Whether the switch <paramref name="c"/> continues is to a kernel thread (or the idle task), not a user task.</summary>
    private static bool IsKthreadSwitch(Machine m, Move c, Linux.Sched.Op op) =>
        op.Kind == OpKind.Kthread || (op.Kind == OpKind.Schedule && m.SwitchAlternative(c.Cpu) != 1);
}
