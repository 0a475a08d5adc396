using PvMmu.Events;
using PvMmu.Linux.Invariants;
using PvMmu.Xen;
using PvMmu.Xen.Abi;

namespace PvMmu.Linux.Multicalls;

/// <summary>
/// The per-CPU multicall buffer of arch/x86/xen/multicalls.c: 32 entries (MC_BATCH), 512 bytes of argument space
/// (MC_ARGS; at most 511 usable, the checks use &gt;=), 32 callbacks. Consecutive mmu_update or mmuext_op requests
/// extend the previous entry of the same op (xen_mc_extend_args); a flush of one entry is a plain hypercall
/// (the singleton shortcut), of more a HYPERVISOR_multicall; callbacks run after it even when entries failed,
/// and every failed entry is a WARN. Everything is per-CPU arrays, so it can be snapshotted. The kernel's BUG_ONs
/// on the argument space stay where multicalls.c has them (<see cref="KernelChecks"/>): a full batch is flushed
/// before a new entry is made, so they fire only for an entry whose arguments could never fit.
/// </summary>
public sealed partial class MulticallBuffers
{
    public const int McBatch = 32;
    public const int McArgs = 512;
    public const int MmuUpdateBytes = 16;
    public const int MmuExtOpBytes = 24;

    /// <summary>
    /// xen_flush_tlb_multi's mc_entry_size: the mmuext_op and the vCPU bitmap after it, one long for up to 64
    /// possible CPUs (sizeof(args->op) + sizeof(args->mask[0]) * BITS_TO_LONGS(num_possible_cpus())).
    /// </summary>
    public const int FlushMultiBytes = MmuExtOpBytes + 8;

    private const string File = "arch/x86/xen/multicalls.c";

    private readonly Hypervisor _xen;
    private readonly bool _native;
    private readonly EventSink _events;
    private readonly Action<int, CallbackKind, ulong> _runCallback;
    private readonly MulticallEntry[] _entries;
    private readonly int[] _mcidx;
    private readonly int[] _argidx;
    private readonly int[] _cbidx;
    private readonly MmuUpdateRequest[] _mmu;
    private readonly int[] _mmuUsed;
    private readonly MmuExtOpRequest[] _ext;
    private readonly int[] _extUsed;
    private readonly CallbackKind[] _cbKind;
    private readonly ulong[] _cbData;

    /// <summary>
    /// Buffers for <paramref name="cpus"/> CPUs issuing to <paramref name="xen"/>. A <paramref name="native"/> kernel
    /// has none: its pv_ops never batch (the lazy-mode leaves that flush here are paravirt_nop), so a flush is
    /// nothing and any entry is a bug of the model.
    /// </summary>
    public MulticallBuffers(Hypervisor xen, int cpus, Action<int, CallbackKind, ulong> runCallback, bool native = false)
    {
        _native = native;
        _xen = xen;
        _events = xen.Events;
        _runCallback = runCallback;
        Cpus = cpus;
        _entries = new MulticallEntry[cpus * McBatch];
        _mcidx = new int[cpus];
        _argidx = new int[cpus];
        _cbidx = new int[cpus];
        // The typed argument arrays hold what fits in MC_ARGS (argidx stays below it, by the BUG_ONs): at most
        // 511 / 16 = 31 mmu_update requests and 511 / 24 = 21 mmuext_ops, so a slot per entry is always enough.
        _mmu = new MmuUpdateRequest[cpus * McBatch];
        _mmuUsed = new int[cpus];
        _ext = new MmuExtOpRequest[cpus * McBatch];
        _extUsed = new int[cpus];
        _cbKind = new CallbackKind[cpus * McBatch];
        _cbData = new ulong[cpus * McBatch];
    }

    public int Cpus { get; }

    /// <summary>Every failed entry a flush WARNed about (and every failed direct call), in order.</summary>
    public List<McWarning> Warnings { get; } = [];

    /// <summary>Logs a failed call (a line of xen_mc_flush's report) and counts it.</summary>
    internal void LogFailed(McWarning w)
    {
        Warnings.Add(w);
        _events.Add(w.Cpu, EventKind.FailedCallLogged);
    }

    private void Fire(int cpu, EventKind tracepoint) => _events.Add(cpu, tracepoint);

    public int Pending(int cpu) => _mcidx[cpu];

    public int ArgBytes(int cpu) => _argidx[cpu];

    /// <summary>
    /// __xen_mc_entry(size): a new entry with <paramref name="argBytes"/> of arguments. A full batch (MC_BATCH
    /// entries) or arguments that do not fit in what is left of MC_ARGS flush the buffer first, so the entry always
    /// has a slot; arguments that do not fit even in an empty buffer are the kernel's BUG_ON after the entry.
    /// </summary>
    private int NewEntry(int cpu, int argBytes)
    {
        var argidx = RoundUp8(_argidx[cpu]);
        Fire(cpu, EventKind.McEntryAlloc);
        KernelChecks.BugOn(_argidx[cpu] >= McArgs, _events, cpu, File, "__xen_mc_entry", "BUG_ON(b->argidx >= MC_ARGS)");
        if (_mcidx[cpu] == McBatch || argidx + argBytes >= McArgs)
        {
            Fire(cpu, _mcidx[cpu] == McBatch ? EventKind.McFlushReasonBatch : EventKind.McFlushReasonArgs);
            Flush(cpu);
            argidx = RoundUp8(_argidx[cpu]);
        }

        var i = _mcidx[cpu]++;
        _argidx[cpu] = argidx + argBytes;
        KernelChecks.BugOn(_argidx[cpu] >= McArgs, _events, cpu, File, "__xen_mc_entry", "BUG_ON(b->argidx >= MC_ARGS)");
        return (cpu * McBatch) + i;
    }

    /// <summary>A native kernel reached the multicall layer: a bug of the model's native paths, never of the kernel.</summary>
    private void RefuseNative(string what)
    {
        if (_native)
        {
            throw new InvalidOperationException($"a native kernel has no multicalls, yet {what} was called");
        }
    }

    /// <summary>xen_mc_extend_args(op, size): the last entry, if it is <paramref name="op"/> and the bytes fit; else -1.</summary>
    private int Extend(int cpu, HypercallNumber op, int argBytes)
    {
        RefuseNative("xen_mc_extend_args");
        var mmu = op == HypercallNumber.MmuUpdate;
        KernelChecks.BugOn(_argidx[cpu] >= McArgs, _events, cpu, File, "xen_mc_extend_args", "BUG_ON(b->argidx >= MC_ARGS)");
        if (_mcidx[cpu] == 0 || _entries[(cpu * McBatch) + _mcidx[cpu] - 1].Op != op)
        {
            Fire(cpu, mmu ? EventKind.McExtendMmuUpdateBadOp : EventKind.McExtendMmuextOpBadOp);
            return -1;
        }

        if (_argidx[cpu] + argBytes >= McArgs)
        {
            Fire(cpu, mmu ? EventKind.McExtendMmuUpdateNoSpace : EventKind.McExtendMmuextOpNoSpace);
            return -1;
        }

        _argidx[cpu] += argBytes;
        KernelChecks.BugOn(_argidx[cpu] >= McArgs, _events, cpu, File, "xen_mc_extend_args", "BUG_ON(b->argidx >= MC_ARGS)");
        Fire(cpu, mmu ? EventKind.McExtendMmuUpdateOk : EventKind.McExtendMmuextOpOk);
        return (cpu * McBatch) + _mcidx[cpu] - 1;
    }

    private static int RoundUp8(int n) => (n + 7) & ~7;

    /// <summary>xen_extend_mmu_update: append to the last mmu_update entry or start one with count 1.</summary>
    public void ExtendMmuUpdate(int cpu, MmuUpdateRequest request)
    {
        var e = Extend(cpu, HypercallNumber.MmuUpdate, MmuUpdateBytes);
        if (e >= 0)
        {
            _entries[e].Arg1++;
        }
        else
        {
            e = NewEntry(cpu, MmuUpdateBytes);
            _entries[e] = MulticallEntry.MmuUpdate(_mmuUsed[cpu], 1);
            Fire(cpu, EventKind.McEntryMmuUpdate);
        }

        _mmu[(cpu * McBatch) + _mmuUsed[cpu]++] = request;
    }

    /// <summary>xen_extend_mmuext_op: append to the last mmuext_op entry or start one with count 1.</summary>
    public void ExtendMmuextOp(int cpu, MmuExtOpRequest op)
    {
        var e = Extend(cpu, HypercallNumber.MmuextOp, MmuExtOpBytes);
        if (e >= 0)
        {
            _entries[e].Arg1++;
        }
        else
        {
            e = NewEntry(cpu, MmuExtOpBytes);
            _entries[e] = MulticallEntry.MmuextOp(_extUsed[cpu], 1);
            Fire(cpu, EventKind.McEntryMmuextOp);
        }

        _ext[(cpu * McBatch) + _extUsed[cpu]++] = op;
    }

    /// <summary>
    /// One mmuext_op in a fresh entry of its own, never an extension of the last: __xen_mc_entry(size) then
    /// MULTI_mmuext_op(mc, op, 1, NULL, DOMID_SELF), as 6.1's __pin_pagetable_pfn (the pin and unpin of
    /// xen_alloc_ptpage and xen_release_ptpage) and the TLB flushes (xen_flush_tlb, xen_flush_tlb_one_user,
    /// xen_flush_tlb_multi, through xen_mc_entry) do. No xen_mc_extend_args is traced.
    /// </summary>
    public void MmuextOpEntry(int cpu, MmuExtOpRequest op, int argBytes = MmuExtOpBytes)
    {
        RefuseNative("xen_mc_entry");
        var e = NewEntry(cpu, argBytes);
        _entries[e] = MulticallEntry.MmuextOp(_extUsed[cpu], 1);
        Fire(cpu, EventKind.McEntryMmuextOp);
        _ext[(cpu * McBatch) + _extUsed[cpu]++] = op;
    }

    /// <summary>MULTI_update_va_mapping in a fresh entry (no argument bytes).</summary>
    public void UpdateVaMapping(int cpu, ulong va, ulong val, ulong flags)
    {
        RefuseNative("MULTI_update_va_mapping");
        var e = NewEntry(cpu, 0);
        _entries[e] = MulticallEntry.UpdateVaMapping(va, val, flags);
        Fire(cpu, EventKind.McEntryUpdateVaMapping);
    }

    /// <summary>xen_mc_callback(fn, data): run after the next flush's hypercall; a full callback list flushes first.</summary>
    public void Callback(int cpu, CallbackKind kind, ulong data)
    {
        RefuseNative("xen_mc_callback");
        if (_cbidx[cpu] == McBatch)
        {
            Fire(cpu, EventKind.McFlushReasonCallback);
            Flush(cpu);
        }

        Fire(cpu, EventKind.McCallback);

        var i = (cpu * McBatch) + _cbidx[cpu]++;
        _cbKind[i] = kind;
        _cbData[i] = data;
    }

    /// <summary>xen_mc_issue(mode): flush unless the CPU's lazy mode is one of <paramref name="mayDefer"/>.</summary>
    public void Issue(int cpu, LazyMode current, LazyMode mayDefer)
    {
        RefuseNative("xen_mc_issue");
        // xen_mc_batch began the batch this issues; every path of the model pairs the two, as Linux does.
        Fire(cpu, EventKind.McBatch);
        Fire(cpu, EventKind.McIssue);
        if ((current & mayDefer) == 0)
        {
            Flush(cpu);
        }
    }

    /// <summary>
    /// xen_mc_flush: nothing for an empty buffer (whose argument space must be empty too: BUG_ON); one entry is
    /// issued as its own hypercall; more as one multicall (a multicall that fails as a whole is a BUG). Failed entries
    /// are logged and WARN_ON(ret) fires once for them; the buffer is reset and the callbacks run in order.
    /// </summary>
    public void Flush(int cpu)
    {
        if (_native)
        {
            return;
        }

        Fire(cpu, EventKind.McFlush);
        var n = _mcidx[cpu];
        var b = cpu * McBatch;
        var failed = 0;
        if (n == 0)
        {
            KernelChecks.BugOn(_argidx[cpu] != 0, _events, cpu, File, "xen_mc_flush", "BUG_ON(b->argidx != 0)");
        }
        else if (n == 1)
        {
            ref var e = ref _entries[b];
            e.Result = Single(cpu, ref e);
            failed = e.Result < 0 ? 1 : 0;
            Fire(cpu, EventKind.McSingleton);
        }
        else if (n > 1)
        {
            var rc = _xen.Multicall(cpu, _entries.AsSpan(b, n), _mmu.AsSpan(b, _mmuUsed[cpu]), _ext.AsSpan(b, _extUsed[cpu]));
            KernelChecks.BugOn(rc != 0, _events, cpu, File, "xen_mc_flush", "BUG() on HYPERVISOR_multicall(b->entries, b->mcidx) != 0");

            for (var i = 0; i < n; i++)
            {
                failed += _entries[b + i].Result < 0 ? 1 : 0;
            }

            Fire(cpu, EventKind.McMulticall);
        }

        if (n > 0)
        {
            Fire(cpu, EventKind.McFlushIssued);
            _events.Add(cpu, EventKind.McEntryIssued, n);
        }

        if (KernelChecks.WarnOn(failed > 0, _events, cpu))
        {
            for (var i = 0; i < n; i++)
            {
                if (_entries[b + i].Result < 0)
                {
                    LogFailed(new McWarning(cpu, i, _entries[b + i].Op, _entries[b + i].Arg0, _entries[b + i].Result));
                }
            }
        }

        _mcidx[cpu] = 0;
        _argidx[cpu] = 0;
        _mmuUsed[cpu] = 0;
        _extUsed[cpu] = 0;
        var callbacks = _cbidx[cpu];
        _cbidx[cpu] = 0;
        for (var i = 0; i < callbacks; i++)
        {
            _runCallback(cpu, _cbKind[b + i], _cbData[b + i]);
        }
    }

    /// <summary>The singleton shortcut: the entry's hypercall made directly (xen_single_call).</summary>
    private long Single(int cpu, ref MulticallEntry e)
    {
        var b = cpu * McBatch;
        switch (e.Op)
        {
            case HypercallNumber.MmuUpdate:
                return _xen.MmuUpdate(cpu, _mmu.AsSpan(b + (int)e.Arg0, (int)e.Arg1), out _);
            case HypercallNumber.MmuextOp:
                return _xen.MmuextOp(cpu, _ext.AsSpan(b + (int)e.Arg0, (int)e.Arg1), out _);
            case HypercallNumber.UpdateVaMapping:
                return _xen.UpdateVaMapping(cpu, e.Arg0, e.Arg1, e.Arg2);
            default:
                throw new InvalidOperationException($"no singleton path for hypercall {e.Op}");
        }
    }

    /// <summary>Makes these buffers equal to <paramref name="s"/> (same CPU count).</summary>
    public void CopyFrom(MulticallBuffers s)
    {
        s._entries.CopyTo(_entries, 0);
        s._mcidx.CopyTo(_mcidx, 0);
        s._argidx.CopyTo(_argidx, 0);
        s._cbidx.CopyTo(_cbidx, 0);
        s._mmu.CopyTo(_mmu, 0);
        s._mmuUsed.CopyTo(_mmuUsed, 0);
        s._ext.CopyTo(_ext, 0);
        s._extUsed.CopyTo(_extUsed, 0);
        s._cbKind.CopyTo(_cbKind, 0);
        s._cbData.CopyTo(_cbData, 0);
        Warnings.Clear();
        Warnings.AddRange(s.Warnings);
    }

    /// <summary>Saves what is queued (see <see cref="MulticallSnapshot"/>) and the WARN log (the counts are the event sink's, saved with the hypervisor).</summary>
    public MulticallSnapshot Save() => SaveInto(null);

    /// <summary>
    /// <see cref="Save"/> into <paramref name="reuse"/> (a snapshot of these buffers no longer needed, or null), reusing
    /// each of its arrays whose length matches, so that a search taking one snapshot per state allocates nothing.
    /// </summary>
    public MulticallSnapshot SaveInto(MulticallSnapshot? reuse)
    {
        int entries = 0, mmu = 0, ext = 0, cbs = 0;
        for (var cpu = 0; cpu < Cpus; cpu++)
        {
            entries += _mcidx[cpu];
            mmu += _mmuUsed[cpu];
            ext += _extUsed[cpu];
            cbs += _cbidx[cpu];
        }

        var s = reuse != null && reuse.Mcidx.Length == Cpus ? reuse : new MulticallSnapshot(Cpus);
        s.Entries = AtLeast(s.Entries, entries);
        s.Mmu = AtLeast(s.Mmu, mmu);
        s.Ext = AtLeast(s.Ext, ext);
        s.CbKind = AtLeast(s.CbKind, cbs);
        s.CbData = AtLeast(s.CbData, cbs);
        s.Warnings = AtLeast(s.Warnings, Warnings.Count);
        s.WarningCount = Warnings.Count;
        if (Warnings.Count != 0)
        {
            Warnings.CopyTo(s.Warnings);
        }

        _mcidx.AsSpan().CopyTo(s.Mcidx);
        _argidx.AsSpan().CopyTo(s.Argidx);
        _cbidx.AsSpan().CopyTo(s.Cbidx);
        _mmuUsed.AsSpan().CopyTo(s.MmuUsed);
        _extUsed.AsSpan().CopyTo(s.ExtUsed);
        entries = mmu = ext = cbs = 0;
        for (var cpu = 0; cpu < Cpus; cpu++)
        {
            if (IsEmpty(cpu))
            {
                continue;
            }

            var b = cpu * McBatch;
            _entries.AsSpan(b, _mcidx[cpu]).CopyTo(s.Entries.AsSpan(entries));
            _mmu.AsSpan(b, _mmuUsed[cpu]).CopyTo(s.Mmu.AsSpan(mmu));
            _ext.AsSpan(b, _extUsed[cpu]).CopyTo(s.Ext.AsSpan(ext));
            _cbKind.AsSpan(b, _cbidx[cpu]).CopyTo(s.CbKind.AsSpan(cbs));
            _cbData.AsSpan(b, _cbidx[cpu]).CopyTo(s.CbData.AsSpan(cbs));
            entries += _mcidx[cpu];
            mmu += _mmuUsed[cpu];
            ext += _extUsed[cpu];
            cbs += _cbidx[cpu];
        }

        return s;
    }

    /// <summary>
    /// <paramref name="a"/> if it holds <paramref name="n"/> items, else a bigger array: a reused snapshot's arrays
    /// only grow, so that a search stops allocating once its snapshots have seen the fullest buffers (the counts say
    /// how much of each is meant).
    /// </summary>
    private static T[] AtLeast<T>(T[] a, int n) => a.Length >= n ? a : new T[Math.Max(n, 2 * a.Length)];

    /// <summary>Puts the buffers back as <see cref="Save"/> found them (same CPU count).</summary>
    public void Restore(MulticallSnapshot s)
    {
        s.Mcidx.AsSpan().CopyTo(_mcidx);
        s.Argidx.AsSpan().CopyTo(_argidx);
        s.Cbidx.AsSpan().CopyTo(_cbidx);
        s.MmuUsed.AsSpan().CopyTo(_mmuUsed);
        s.ExtUsed.AsSpan().CopyTo(_extUsed);
        int entries = 0, mmu = 0, ext = 0, cbs = 0;
        for (var cpu = 0; cpu < Cpus; cpu++)
        {
            if (IsEmpty(cpu))
            {
                continue;
            }

            var b = cpu * McBatch;
            s.Entries.AsSpan(entries, _mcidx[cpu]).CopyTo(_entries.AsSpan(b));
            s.Mmu.AsSpan(mmu, _mmuUsed[cpu]).CopyTo(_mmu.AsSpan(b));
            s.Ext.AsSpan(ext, _extUsed[cpu]).CopyTo(_ext.AsSpan(b));
            s.CbKind.AsSpan(cbs, _cbidx[cpu]).CopyTo(_cbKind.AsSpan(b));
            s.CbData.AsSpan(cbs, _cbidx[cpu]).CopyTo(_cbData.AsSpan(b));
            entries += _mcidx[cpu];
            mmu += _mmuUsed[cpu];
            ext += _extUsed[cpu];
            cbs += _cbidx[cpu];
        }

        if (Warnings.Count != 0 || s.WarningCount != 0)
        {
            Warnings.Clear();
            Warnings.AddRange(s.Warnings.AsSpan(0, s.WarningCount));
        }
    }

    /// <summary>Adds what is queued to a fingerprint (counters and the WARN log excluded).</summary>
    internal void Hash(FingerprintBuffer b)
    {
        for (var cpu = 0; cpu < Cpus; cpu++)
        {
            b.Add((ulong)_argidx[cpu]);

            // Most CPUs have nothing queued.
            if (IsEmpty(cpu))
            {
                b.Add(0UL);
                continue;
            }

            var o = cpu * McBatch;
            b.Add((uint)_mcidx[cpu] | ((ulong)(uint)_mmuUsed[cpu] << 16) | ((ulong)(uint)_extUsed[cpu] << 32) | ((ulong)(uint)_cbidx[cpu] << 48));

            // Field by field: MulticallEntry and MmuExtOpRequest have 4 padding bytes after their 32-bit first
            // field, which the JIT need not zero, so hashing their raw bytes could tell equal states apart.
            foreach (ref readonly var e in _entries.AsSpan(o, _mcidx[cpu]))
            {
                b.Add((ulong)e.Op);
                b.Add((ulong)e.Result);
                b.Add(e.Arg0);
                b.Add(e.Arg1);
                b.Add(e.Arg2);
                b.Add(e.Arg3);
                b.Add(e.Arg4);
            }

            b.Add((ReadOnlySpan<MmuUpdateRequest>)_mmu.AsSpan(o, _mmuUsed[cpu]));
            foreach (ref readonly var x in _ext.AsSpan(o, _extUsed[cpu]))
            {
                b.Add((ulong)x.Cmd);
                b.Add(x.Arg1);
                b.Add(x.Arg2);
                b.Add(x.VcpuMask);
            }

            b.Add((ReadOnlySpan<CallbackKind>)_cbKind.AsSpan(o, _cbidx[cpu]));
            b.Add((ReadOnlySpan<ulong>)_cbData.AsSpan(o, _cbidx[cpu]));
        }
    }

    /// <summary>Nothing queued on <paramref name="cpu"/>: no entry, argument or callback to save, restore or hash.</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
    private bool IsEmpty(int cpu) => (_mcidx[cpu] | _mmuUsed[cpu] | _extUsed[cpu] | _cbidx[cpu]) == 0;
}
