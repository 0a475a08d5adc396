using PvMmu.Scheduling;
using PvMmu.Xen;
using PvMmu.Xen.Symmetry;

namespace PvMmu.Linux.Sched;

/// <summary>
/// The abstraction <c>pvmmu check --symmetry on</c> explores (docs/model.md, "Symmetry"): the walks that take one
/// step per CPU in cpu-id order (xen_drop_mm_ref's per-CPU reads, smp_call_function_many's sends, and the taking of
/// IPIs pending from several senders) take the CPUs in any order instead, one move per CPU not yet visited; and the
/// whole state can be renamed by a permutation of vCPUs, which on this abstraction is an automorphism for vCPUs that
/// run the same program.
/// </summary>
public sealed partial class Machine
{
    /// <summary>Per vCPU: the CPUs its current walk has visited (the xen_drop_mm_ref reads), when the walks are unordered.</summary>
    private readonly StateRow<ulong> _walkSeen;

    /// <summary>The alternative of the move being applied: in an unordered walk, the CPU it visits (not state: set by each move).</summary>
    private int _walkChoice;

    /// <summary>Whether the per-CPU walks take their CPUs in any order (<see cref="UseUnorderedWalks"/>); false: in id order, as the kernel does.</summary>
    public bool UnorderedWalks { get; private set; }

    /// <summary>
    /// Makes every per-CPU walk unordered from now on: a superset of the kernel's schedules (its id order is one of
    /// the orders), on which renaming vCPUs of one program is a symmetry. The walks' visited sets (in the explored
    /// state always, and zero until now) start to fill. Call before the search starts (no walk may be under way).
    /// </summary>
    public void UseUnorderedWalks()
    {
        if (UnorderedWalks)
        {
            return;
        }

        for (var c = 0; c < K.Cpus; c++)
        {
            if (_step[c] != 0)
            {
                throw new InvalidOperationException($"vCPU {c} is in the middle of an operation");
            }
        }

        UnorderedWalks = true;
    }

    /// <summary>One TakeIpi move per vCPU with an IPI pending for <paramref name="c"/>: the alternative names the sender.</summary>
    private int UnorderedIpis(int c, int n)
    {
        for (var m = _pendingFrom[c]; m != 0; m &= m - 1)
        {
            _choices[n++] = new Move(c, MoveKind.TakeIpi, (byte)System.Numerics.BitOperations.TrailingZeroCount(m));
        }

        return n;
    }

    /// <summary>One Step move per CPU in <paramref name="walk"/>: the alternative names the CPU visited next.</summary>
    private int UnorderedSteps(int c, ulong walk, int n)
    {
        for (var m = walk; m != 0; m &= m - 1)
        {
            _choices[n++] = new Move(c, MoveKind.Step, (byte)System.Numerics.BitOperations.TrailingZeroCount(m));
        }

        return n;
    }

    /// <summary>
    /// The CPUs vCPU <paramref name="c"/>'s next step may visit when it is in a per-CPU walk of exit_mmap (an exit's,
    /// or an exec's teardown of its old mm): the reads not yet made, or the IPIs not yet sent; 0 outside a walk.
    /// </summary>
    private ulong WalkTargets(int c)
    {
        var op = _programs[c][_pc[c]];
        var rel = op.Kind switch
        {
            OpKind.Exit => _step[c],
            OpKind.Exec or OpKind.ExecImage when _step[c] > ExecTeardown && _step[c] < ExecMapRegions => _step[c] - ExecTeardown,
            _ => -1,
        };
        return rel switch
        {
            ExitReadCpu => ReadCandidates(c) & ~_walkSeen[c],
            ExitSend => _serialLeft[c],
            _ => 0,
        };
    }

    /// <summary>The CPUs xen_drop_mm_ref's walk reads: every online CPU but the caller (the serial fallback calls it too).</summary>
    private ulong ReadCandidates(int cpu)
    {
        var all = K.Cpus >= 64 ? ulong.MaxValue : (1UL << K.Cpus) - 1;
        return Strategy.SerialIpis ? all : all & ~(1UL << cpu);
    }

    /// <summary>
    /// <see cref="ReadCpu"/> with the CPU chosen by the move (<see cref="_walkChoice"/>) among those not yet read; the
    /// walk ends when every CPU has been read.
    /// </summary>
    private void ReadAnyCpu(int cpu, int mm, int @base)
    {
        var t = _walkChoice;
        var candidates = ReadCandidates(cpu);
        if (((candidates & ~_walkSeen[cpu]) & (1UL << t)) == 0)
        {
            throw new InvalidOperationException($"vCPU {cpu}'s walk cannot read vCPU {t} now");
        }

        var serial = Strategy.SerialIpis;
        TakeIfMasked(cpu, t, mm, serial);

        _walkSeen[cpu] |= 1UL << t;
        if (_walkSeen[cpu] == candidates)
        {
            _walkSeen[cpu] = 0;
            _step[cpu] = @base + (serial ? ExitAfterIpis : ExitSend);
        }
    }

    /// <summary>The IPI target the move chose among those not yet sent to (smp_call_function_many's send in any order).</summary>
    private int SendTarget(int cpu)
    {
        var t = _walkChoice;
        if ((_serialLeft[cpu] & (1UL << t)) == 0)
        {
            throw new InvalidOperationException($"vCPU {cpu} has no IPI left to send to vCPU {t}");
        }

        return t;
    }

    /// <summary>
    /// Move <paramref name="c"/> (enabled now) as the renaming <paramref name="p"/> of this state names it: its vCPU
    /// renamed, and so is the vCPU its alternative names when it names one (the sender of an IPI taken, or the CPU an
    /// unordered walk visits); a scheduler's pick (kernel thread, user task, idle) stays as it is.
    /// </summary>
    public Move Renamed(Move c, VcpuPermutation p)
    {
        var altIsVcpu = UnorderedWalks && (c.Kind == MoveKind.TakeIpi || (CanStep(c.Cpu) && WalkTargets(c.Cpu) != 0));
        return altIsVcpu ? c with { Cpu = p.To[c.Cpu], Alt = (byte)p.To[c.Alt] } : c with { Cpu = p.To[c.Cpu] };
    }

    /// <summary>
    /// The classes of interchangeable vCPUs (two or more each, in id order): vCPUs whose programs are equal op for
    /// op. A program that uses its CPU's id as data is in no class: a vmap maps at an address that depends on the CPU
    /// (<see cref="StepVmap"/>).
    /// </summary>
    public int[][] InterchangeableClasses()
    {
        var classes = new List<int[]>();
        var placed = new bool[K.Cpus];
        for (var c = 0; c < K.Cpus; c++)
        {
            if (placed[c] || _programs[c].Any(op => op.Kind == OpKind.Vmap))
            {
                continue;
            }

            var members = new List<int> { c };
            for (var d = c + 1; d < K.Cpus; d++)
            {
                if (!placed[d] && _programs[d].AsSpan().SequenceEqual(_programs[c]))
                {
                    members.Add(d);
                    placed[d] = true;
                }
            }

            if (members.Count > 1)
            {
                classes.Add([.. members]);
            }
        }

        return [.. classes];
    }

    /// <summary>
    /// A hash of vCPU <paramref name="cpu"/>'s own state that holds no vCPU id, so that a renaming carries it along
    /// (vCPU i's in s is vCPU π(i)'s in π(s)): its place in its program, its per-vCPU values, how many IPIs it has
    /// pending, awaits and has still to send or read, and the kernel's and hypervisor's state of the CPU
    /// (<see cref="Kernel.CpuSignature"/>). Equal states of two vCPUs have equal signatures; unequal ones mostly not.
    /// </summary>
    public ulong VcpuSignature(int cpu)
    {
        var h = K.CpuSignature(cpu);
        foreach (var a in (StateRow<int>[])[_pc, _step, _cursor, _alt, _lazyRef, _newMm, _exitMm])
        {
            h = Hypervisor.Mix(h, (ulong)(uint)a[cpu]);
        }

        h = Hypervisor.Mix(h, (ulong)(uint)System.Numerics.BitOperations.PopCount(_waitingFor[cpu]) | ((ulong)(uint)System.Numerics.BitOperations.PopCount(_serialLeft[cpu]) << 8)
            | ((ulong)(uint)System.Numerics.BitOperations.PopCount(_pendingFrom[cpu]) << 16) | ((ulong)(uint)System.Numerics.BitOperations.PopCount(_walkSeen[cpu]) << 24)
            | ((ulong)(uint)_gather[cpu].Count << 32) | (_irqsOff[cpu] ? 1UL << 63 : 0));
        h = Hypervisor.Mix(h, _tlbStart[cpu]);
        return Hypervisor.Mix(h, _tlbEnd[cpu]);
    }

    /// <summary>
    /// Renames the vCPUs of the whole state by <paramref name="p"/>: every per-vCPU value moved to the new id (place in
    /// the program, step, cursor, pending IPIs and their handlers by target and sender, the walks' sets, the gather
    /// lists), every cpumask renamed, and the kernel's and hypervisor's state with them (<see cref="Kernel.PermuteCpus"/>).
    /// The programs are not moved: the renaming is a symmetry only among vCPUs of equal programs
    /// (<see cref="InterchangeableClasses"/>). The history is left as it is.
    /// </summary>
    public void PermuteVcpus(VcpuPermutation p)
    {
        if (p.Count != K.Cpus)
        {
            throw new ArgumentException($"a renaming of {p.Count} vCPUs for a machine of {K.Cpus}");
        }

        p.Blocks(_pc.Span);
        p.Blocks(_step.Span);
        p.Blocks(_cursor.Span);
        p.Blocks(_alt.Span);
        p.Pairs(_pendingMm.Span);
        p.Blocks(_lazyRef.Span);
        p.Blocks(_newMm.Span);
        p.Blocks(_exitMm.Span);
        // Each cpumask row moves with its vCPU and has its bits renamed. Four calls, not a loop over a collection
        // expression: that would allocate an array at every renaming, and the search renames at every state.
        PermuteMaskRow(p, _waitingFor);
        PermuteMaskRow(p, _serialLeft);
        PermuteMaskRow(p, _pendingFrom);
        PermuteMaskRow(p, _walkSeen);

        p.Blocks(_tlbStart.Span);
        p.Blocks(_tlbEnd.Span);
        p.Blocks(_irqsOff.Span);
        p.Pairs(_pendingHandler);

        // Zero under the unordered walks --symmetry on uses; renamed all the same, as a slot row of masks.
        p.Pairs(_pendingBefore.Span);
        p.Masks(_pendingBefore.Span);
        p.Blocks(_gather);
        K.PermuteCpus(p);
    }

    private static void PermuteMaskRow(VcpuPermutation p, StateRow<ulong> mask)
    {
        p.Blocks(mask.Span);
        p.Masks(mask.Span);
    }
}
