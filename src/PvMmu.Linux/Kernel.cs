using PvMmu.Events;
using PvMmu.Linux.Accounting;
using PvMmu.Linux.Boot;
using PvMmu.Linux.Mm;
using PvMmu.Linux.Multicalls;
using PvMmu.Xen;
using PvMmu.Xen.Abi;
using PvMmu.Xen.Access;

namespace PvMmu.Linux;

/// <summary>
/// A Linux 64-bit PV guest kernel: its per-CPU state, its memory and its page tables, driving the hypervisor only
/// through hypercalls and loads and stores, as the real guest does. State is arrays indexed by CPU and by frame.
/// </summary>
public sealed partial class Kernel
{
    private readonly uint[] _free;
    private readonly bool[] _pagePinned;
    private readonly uint[] _userPgdOf;
    private readonly bool[] _pteLocked;
    private readonly int[] _pageRefs;
    private int _freeTop;

    /// <summary>Instance numbers, so that two kernels never share a <see cref="_framesGeneration"/>.</summary>
    private static long _instances;

    /// <summary>
    /// The version of the per-frame state (PagePinned, UserPgdOf, PageRefs, PteLocked, the free list): a fresh one at
    /// every write, the saved one again at a restore, so that equal versions mean equal contents. A move seldom
    /// writes them, and their hashes and copies are skipped at an unchanged version (<see cref="FramesFingerprint()"/>).
    /// </summary>
    private ulong _framesGeneration;
    private ulong _nextFramesGeneration;

    /// <summary>The version <see cref="_pinsHash"/> and <see cref="_refsHash"/> were taken at.</summary>
    private ulong _framesHashGeneration;
    private ulong _pinsHash;
    private ulong _refsHash;

    private Kernel(Hypervisor xen, KernelConfig config)
    {
        Xen = xen;
        Config = config;
        Cpus = config.Vcpus;
        FirstFrame = xen.FirstGuestFrame;
        FrameCount = config.Frames;
        Native = config.Platform == Platform.Native;
        Mc = new MulticallBuffers(xen, Cpus, RunCallback, Native);
        XenCr3 = new uint[Cpus];
        XenCurrentCr3 = new uint[Cpus];
        Lazy = new LazyMode[Cpus];
        InInterrupt = new bool[Cpus];
        _pagePinned = new bool[FrameCount];
        _userPgdOf = new uint[FrameCount];
        _pteLocked = new bool[FrameCount];
        _pageRefs = new int[FrameCount];
        _free = new uint[FrameCount];
        _nextFramesGeneration = (ulong)Interlocked.Increment(ref _instances) << 40;
        TouchFrames();
        LoadedMm = new int[Cpus];
        IsLazyTlb = new bool[Cpus];
        Mms = new MmTable(config.Mms);
        Mms.Live[0] = true;
    }

    /// <summary>
    /// Where the guest counts what it does (the work Xen never sees, its multicall layer, its tracepoints and model
    /// checks): the run's sink, the one its hypervisor counts into, so both sides of a move land in the same phase.
    /// </summary>
    public EventSink Events => Xen.Events;

    /// <summary>cpu_tlbstate.loaded_mm: the mm whose pgd is this CPU's CR3 (0: init_mm).</summary>
    public int[] LoadedMm { get; }

    /// <summary>cpu_tlbstate_shared.is_lazy: a kernel thread (or an exiting task) borrows loaded_mm.</summary>
    public bool[] IsLazyTlb { get; }

    /// <summary>Every address space; id 0 is init_mm.</summary>
    public MmTable Mms { get; }

    public Hypervisor Xen { get; }

    public KernelConfig Config { get; }

    /// <summary>
    /// The kernel runs on bare hardware (<see cref="Platform.Native"/>): its pv_ops are the native ones, so nothing it
    /// does reaches a hypervisor (<see cref="Hypervisor"/> is then the bare machine, HypervisorConfig.BareMetal).
    /// </summary>
    public bool Native { get; }

    public int Cpus { get; }

    public MulticallBuffers Mc { get; }

    /// <summary>The first of the guest's frames; the guest's pfn is mfn − FirstFrame.</summary>
    public uint FirstFrame { get; }

    public int FrameCount { get; }

    /// <summary>xen_cr3: the CR3 (as an L4 frame) each CPU last requested (on native: the CR3 it last wrote).</summary>
    public uint[] XenCr3 { get; }

    /// <summary>xen_current_cr3: the CR3 each CPU knows Xen has installed (set by the flush callback; on native: its CR3).</summary>
    public uint[] XenCurrentCr3 { get; }

    /// <summary>Each CPU's paravirt lazy mode.</summary>
    public LazyMode[] Lazy { get; }

    /// <summary>in_interrupt(): an IPI handler is running, so the lazy mode reads as NONE.</summary>
    public bool[] InInterrupt { get; }

    /// <summary>PagePinned (PG_pinned) per guest frame: the guest's belief that Xen holds the frame as a pinned table.</summary>
    public ReadOnlySpan<bool> PagePinned => _pagePinned;

    /// <summary>page->private of a kernel pgd: its user pgd frame (xen_get_user_pgd), or 0.</summary>
    public ReadOnlySpan<uint> UserPgdOf => _userPgdOf;

    /// <summary>struct page's reference count per guest frame: mappings of a data page (COW shares it), 1 for a table.</summary>
    public ReadOnlySpan<int> PageRefs => _pageRefs;

    /// <summary>Split PTE locks held, per guest frame (xen_pte_lock until the batch's xen_pte_unlock callback).</summary>
    public ReadOnlySpan<bool> PteLocked => _pteLocked;

    /// <summary>swapper_pg_dir: init_mm's pgd.</summary>
    public uint SwapperPgd { get; private set; }

    /// <summary>level3_user_vsyscall, pinned at boot as an L3 and put in every user pgd.</summary>
    public uint VsyscallL3 { get; private set; }

    /// <summary>paravirt_get_lazy_mode() (6.1; xen_get_lazy_mode() since 6.6): NONE in interrupt context.</summary>
    public LazyMode LazyNow(int cpu) => InInterrupt[cpu] ? LazyMode.None : Lazy[cpu];

    public int FreeFrames => _freeTop;

    /// <summary>The direct-map address of a guest frame (__va).</summary>
    public ulong Va(uint mfn) => Layout.PageOffset + ((ulong)(mfn - FirstFrame) << 12);

    /// <summary>PagePinned of a guest frame.</summary>
    public bool Pinned(uint mfn) => _pagePinned[mfn - FirstFrame];

    /// <summary>page->private of kernel pgd <paramref name="pgd"/>: its user pgd frame, or 0.</summary>
    public uint UserPgd(uint pgd) => _userPgdOf[pgd - FirstFrame];

    /// <summary>The reference count of guest frame <paramref name="mfn"/> (<see cref="PageRefs"/>).</summary>
    public int PageRef(uint mfn) => _pageRefs[mfn - FirstFrame];

    // The per-frame arrays are written only here, each write under a new version (_framesGeneration).
    internal void SetPinned(uint mfn, bool value)
    {
        TouchFrames();
        _pagePinned[mfn - FirstFrame] = value;
    }

    /// <summary>Sets page->private of kernel pgd <paramref name="pgd"/>: its user pgd (0: none).</summary>
    internal void SetUserPgd(uint pgd, uint user)
    {
        TouchFrames();
        _userPgdOf[pgd - FirstFrame] = user;
    }

    /// <summary>get_page on a data page mapped once more (a COW share at fork).</summary>
    internal void GetDataPage(uint mfn)
    {
        TouchFrames();
        _pageRefs[mfn - FirstFrame]++;
    }

    /// <summary>Takes (true) or drops (false) the split PTE lock of a table page.</summary>
    internal void SetPteLocked(uint page, bool locked)
    {
        TouchFrames();
        _pteLocked[page - FirstFrame] = locked;
    }

    private void TouchFrames() => _framesGeneration = ++_nextFramesGeneration;

    /// <summary>
    /// Boots a guest: the domain builder lays out init_mm's tables (a direct map of every guest frame at
    /// PAGE_OFFSET, table frames read-only) and the vsyscall L3; the kernel pins swapper_pg_dir and the vsyscall L3
    /// and every vCPU loads swapper_pg_dir. Boot's events are then cleared. On <see cref="Platform.Native"/> the same
    /// tables are laid out on the bare machine as a native kernel's are: every page of the direct map writable and
    /// global (PAGE_KERNEL; a PV guest masks _PAGE_GLOBAL out), nothing pinned, and each CPU's CR3 written natively.
    /// </summary>
    /// <remarks>
    /// Events are counted into <paramref name="events"/>, the sink of the run that boots the guest (a sink of its own,
    /// one phase, when none is given).
    /// </remarks>
    public static Kernel Boot(KernelConfig config, EventSink? events = null)
    {
        var l1s = (config.Frames + 511) / 512;
        var l2s = (l1s + 511) / 512;
        var bootTables = 1 + 1 + l2s + l1s + 1;
        if (config.Frames < bootTables + 16 || l2s > 512)
        {
            throw new ArgumentOutOfRangeException(nameof(config), $"{config.Frames} frames do not hold a booted guest");
        }

        var xen = new Hypervisor(new HypervisorConfig
        {
            Vcpus = config.Vcpus,
            GuestFrames = config.Frames,
            XenFrames = 2,
            OtherFrames = 1,
            FreeFrames = 2,
            Version = config.Xen,
            BareMetal = config.Platform == Platform.Native,
        }, events);
        var k = new Kernel(xen, config);
        var f = k.FirstFrame;
        uint l4 = f, l3 = f + 1, l2First = f + 2, l1First = l2First + (uint)l2s, vsyscall = l1First + (uint)l1s;
        xen.BuilderWrite(l4, Layout.PgdIndex(Layout.PageOffset), PageFlags.Entry(l3, PteFlags.KernPgTable));
        for (var j = 0; j < l2s; j++)
        {
            xen.BuilderWrite(l3, j, PageFlags.Entry(l2First + (uint)j, PteFlags.KernPgTable));
        }

        for (var i = 0; i < l1s; i++)
        {
            xen.BuilderWrite(l2First + (uint)(i / 512), i % 512, PageFlags.Entry(l1First + (uint)i, PteFlags.KernPgTable));
        }

        for (var p = 0; p < config.Frames; p++)
        {
            var mfn = f + (uint)p;
            var table = p < bootTables && !k.Native;
            var flags = k.Native ? PteFlags.PageKernel | PageFlags.Global : table ? PteFlags.PageKernelRo : PteFlags.PageKernel;
            xen.BuilderWrite(l1First + (uint)(p / 512), p % 512, PageFlags.Entry(mfn, flags));
            if (table)
            {
                k.SetPinned(mfn, true);
            }
        }

        if (!k.Native)
        {
            k.Check(xen.MmuextOp(0, [MmuExtOpRequest.Pin(4, l4), MmuExtOpRequest.Pin(3, vsyscall)], out _), "pinning swapper_pg_dir");
        }

        for (var v = 0; v < config.Vcpus; v++)
        {
            if (k.Native)
            {
                xen.BareLoadCr3(v, l4);
            }
            else
            {
                k.Check(xen.MmuextOp(v, [MmuExtOpRequest.NewBaseptr(l4)], out _), "loading swapper_pg_dir");
            }

            k.XenCr3[v] = l4;
            k.XenCurrentCr3[v] = l4;
        }

        k.SwapperPgd = l4;
        k.VsyscallL3 = vsyscall;
        k.Mms.Pgd[0] = l4;
        for (var p = config.Frames - 1; p >= bootTables; p--)
        {
            k.TouchFrames();
            k._free[k._freeTop++] = f + (uint)p;
        }

        k.Events.Reset();
        return k;
    }

    private void Check(long rc, string what)
    {
        if (rc != 0)
        {
            throw new InvalidOperationException($"{what} failed: {Errno.Name(rc)}");
        }
    }

    /// <summary>The lowest free frame (the page allocator), zeroed as __GFP_ZERO asks, by plain stores.</summary>
    public uint AllocPage(int cpu)
    {
        if (_freeTop == 0)
        {
            throw new InvalidOperationException("out of guest memory");
        }

        TouchFrames();
        var mfn = _free[--_freeTop];
        _pageRefs[mfn - FirstFrame] = 1;
        // Only the non-zero entries need a store for the hypervisor to see them cleared; a frame that never held an
        // entry has nothing to clear. The span is re-read after each store, which may copy a shared table.
        for (var s = NextUsed(mfn, 0, 512); s >= 0; s = NextUsed(mfn, s + 1, 512))
        {
            Store(cpu, Va(mfn) + ((ulong)s * 8), 0);
        }

        return mfn;
    }

    /// <summary>
    /// The next slot from <paramref name="from"/> (below <paramref name="end"/>) of table <paramref name="table"/> whose
    /// entry is not all zeros, or −1. A table scan reads each such entry with <see cref="ReadEntry"/>; the empty ones
    /// it skips would be loads that hit the TLB entry the scan's first load filled, so only their access count is lost.
    /// </summary>
    internal int NextUsed(uint table, int from, int end)
    {
        var e = Xen.Entries(table);
        if (from >= end || e.IsEmpty)
        {
            return -1;
        }

        var i = e[from..end].IndexOfAnyExcept(0UL);
        return i < 0 ? -1 : from + i;
    }

    /// <summary>The frames on the allocator's free list.</summary>
    public ReadOnlySpan<uint> FreeList() => _free.AsSpan(0, _freeTop);

    /// <summary>
    /// The direct-map entry of a guest frame, read from the hypervisor's copy of init_mm's tables (for checkers; the
    /// kernel itself reads its tables through loads).
    /// </summary>
    public ulong DirectMapPte(uint mfn)
    {
        var va = Va(mfn);
        var e = Xen.Entry(SwapperPgd, Mm.Layout.PgdIndex(va));
        e = Xen.Entry(PageFlags.Mfn(e), Mm.Layout.PudIndex(va));
        e = Xen.Entry(PageFlags.Mfn(e), Mm.Layout.PmdIndex(va));
        return Xen.Entry(PageFlags.Mfn(e), Mm.Layout.PteIndex(va));
    }

    public void FreePage(uint mfn)
    {
        TouchFrames();
        _pageRefs[mfn - FirstFrame] = 0;
        _free[_freeTop++] = mfn;
    }

    /// <summary>put_page on a mapped data page: freed when its last mapping goes.</summary>
    public void PutDataPage(uint mfn)
    {
        TouchFrames();
        if (--_pageRefs[mfn - FirstFrame] == 0)
        {
            _free[_freeTop++] = mfn;
        }
    }

    /// <summary>Kernel oopses: a kernel access that faulted (a finding; the access did not happen).</summary>
    public List<string> Oopses { get; } = [];

    private void Oops(string what, int cpu, ulong va) => Oopses.Add($"CPU {cpu}: kernel page fault {what} {va:x}");

    /// <summary>A plain store by the kernel through its direct map; a fault here is a kernel oops.</summary>
    internal AccessResult Store(int cpu, ulong va, ulong value)
    {
        var r = Xen.Store(cpu, va, value);
        if (r == AccessResult.PageFault)
        {
            Oops("writing", cpu, va);
        }
        else if (r == AccessResult.Ok)
        {
            Events.Add(cpu, EventKind.NativePteStore);
        }

        return r;
    }

    /// <summary>A native locked exchange (xchg, or the locked bit operations); returns the old value.</summary>
    internal ulong Xchg(int cpu, ulong va, ulong value)
    {
        var r = Xen.Xchg(cpu, va, value, out var old);
        if (r == AccessResult.PageFault)
        {
            Oops("exchanging", cpu, va);
        }
        else if (r == AccessResult.Ok)
        {
            Events.Add(cpu, EventKind.NativePteStore);
        }

        return old;
    }

    internal ulong Load(int cpu, ulong va)
    {
        if (Xen.Load(cpu, va, out var value) == AccessResult.PageFault)
        {
            Oops("reading", cpu, va);
        }

        return value;
    }

    /// <summary>Reads entry <paramref name="slot"/> of table frame <paramref name="table"/> through the direct map.</summary>
    internal ulong ReadEntry(int cpu, uint table, int slot) => Load(cpu, Va(table) + ((ulong)slot * 8));

    private void RunCallback(int cpu, CallbackKind kind, ulong data)
    {
        switch (kind)
        {
            case CallbackKind.SetCurrentCr3:
                XenCurrentCr3[cpu] = (uint)data;
                break;
            case CallbackKind.PteUnlock:
                SetPteLocked((uint)data, false);
                break;
            default:
                break;
        }
    }

    /// <summary>
    /// The named branches (<see cref="Branch"/>) taken since a search last cleared it, one bit each: coverage, not
    /// state (it is neither snapshotted nor fingerprinted).
    /// </summary>
    public ulong Branches { get; set; }

    /// <summary>Notes that the code took <paramref name="b"/>.</summary>
    public void Reach(Branch b) => Branches |= 1UL << (int)b;

    /// <summary>IPIs taken so far, every vCPU and phase (a view of <see cref="Events"/>: one per target of an smp_call_function_*).</summary>
    public long IpisSent => Events.Total(EventKind.IpiHandled);

    /// <summary>
    /// Runs an IPI's <paramref name="handler"/> for <paramref name="mm"/> on <paramref name="cpu"/>: in interrupt
    /// context, so the lazy mode reads NONE and every xen_mc_issue flushes, including what the interrupted code
    /// had queued.
    /// </summary>
    public void RunIpi(int cpu, Exit.IpiHandler handler, int mm)
    {
        if (Mc.Pending(cpu) > 0)
        {
            Reach(Branch.IpiQueuedMulticalls);
        }

        Events.Add(cpu, EventKind.IpiHandled);
        var was = InInterrupt[cpu];
        InInterrupt[cpu] = true;
        switch (handler)
        {
            case Exit.IpiHandler.DropOtherMmRef:
                Exit.Linux61.DropOtherMmRef(this, cpu, mm);
                break;
            case Exit.IpiHandler.DropMmRefThisCpu:
                Exit.Linux61.DropMmRefThisCpu(this, cpu, mm);
                break;
            default:
                break;
        }

        InInterrupt[cpu] = was;
    }

    /// <summary>HYPERVISOR_mmu_update with one request, outside the buffer (the non-lazy __xen_set_pte).</summary>
    internal void DirectMmuUpdate(int cpu, MmuUpdateRequest u)
    {
        Events.Add(cpu, EventKind.DirectHypercall);
        var rc = Xen.MmuUpdate(cpu, [u], out _);
        if (rc != 0)
        {
            Mc.LogFailed(new McWarning(cpu, 0, HypercallNumber.MmuUpdate, u.Ptr, rc));
        }
    }

    // ---- Snapshots -------------------------------------------------------------------------------------------

    /// <summary>
    /// A copy of the whole guest and hypervisor state, for <see cref="Restore"/>; the event counts only with
    /// <paramref name="events"/> (see <see cref="Hypervisor.Snapshot"/>).
    /// </summary>
    public KernelSnapshot Snapshot(bool events = true) => new(Xen.Snapshot(events))
    {
        FreeTop = _freeTop,
        XenCr3 = (uint[])XenCr3.Clone(),
        XenCurrentCr3 = (uint[])XenCurrentCr3.Clone(),
        Lazy = (LazyMode[])Lazy.Clone(),
        InInterrupt = (bool[])InInterrupt.Clone(),
        PagePinned = (bool[])_pagePinned.Clone(),
        UserPgdOf = (uint[])_userPgdOf.Clone(),
        PteLocked = (bool[])_pteLocked.Clone(),
        PageRefs = (int[])_pageRefs.Clone(),
        FramesGeneration = _framesGeneration,
        FramesHashGeneration = _framesHashGeneration,
        PinsHash = _pinsHash,
        RefsHash = _refsHash,
        LoadedMm = (int[])LoadedMm.Clone(),
        IsLazyTlb = (bool[])IsLazyTlb.Clone(),
        Free = _free.AsSpan(0, _freeTop).ToArray(),
        SwapperPgd = SwapperPgd,
        VsyscallL3 = VsyscallL3,
        Mms = Mms.Snapshot(),
        Mc = Mc.Save(),
        Oopses = Oopses.Count == 0 ? [] : [.. Oopses],
    };

    /// <summary>
    /// <see cref="Snapshot"/> into <paramref name="reuse"/> (a snapshot of this kernel no longer needed, or null),
    /// copying into its arrays where the sizes match, so that a search taking one snapshot per state allocates nothing.
    /// </summary>
    public KernelSnapshot SnapshotInto(KernelSnapshot? reuse)
    {
        if (reuse == null)
        {
            return Snapshot();
        }

        var s = reuse;
        s.Xen = Xen.SnapshotInto(s.Xen);
        s.XenCr3 = CopyInto(XenCr3, s.XenCr3);
        s.XenCurrentCr3 = CopyInto(XenCurrentCr3, s.XenCurrentCr3);
        s.Lazy = CopyInto(Lazy, s.Lazy);
        s.InInterrupt = CopyInto(InInterrupt, s.InInterrupt);
        s.LoadedMm = CopyInto(LoadedMm, s.LoadedMm);
        s.IsLazyTlb = CopyInto(IsLazyTlb, s.IsLazyTlb);
        if (s.FramesGeneration != _framesGeneration)
        {
            s.PagePinned = CopyInto(_pagePinned, s.PagePinned);
            s.UserPgdOf = CopyInto(_userPgdOf, s.UserPgdOf);
            s.PteLocked = CopyInto(_pteLocked, s.PteLocked);
            s.PageRefs = CopyInto(_pageRefs, s.PageRefs);

            // The free list's length changes from state to state: keep an array big enough and the top beside it.
            if (s.Free.Length < _freeTop)
            {
                s.Free = new uint[_free.Length];
            }

            _free.AsSpan(0, _freeTop).CopyTo(s.Free);
            s.FreeTop = _freeTop;
            s.FramesGeneration = _framesGeneration;
        }

        (s.FramesHashGeneration, s.PinsHash, s.RefsHash) = (_framesHashGeneration, _pinsHash, _refsHash);
        s.SwapperPgd = SwapperPgd;
        s.VsyscallL3 = VsyscallL3;
        s.Mms = Mms.SnapshotInto(s.Mms);
        s.Mc = Mc.SaveInto(s.Mc);
        if (s.Oopses.Length != Oopses.Count)
        {
            s.Oopses = Oopses.Count == 0 ? [] : new string[Oopses.Count];
        }

        if (Oopses.Count != 0)
        {
            Oopses.CopyTo(s.Oopses);
        }

        return s;

        static T[] CopyInto<T>(T[] from, T[] to)
        {
            if (from.Length != to.Length)
            {
                return (T[])from.Clone();
            }

            from.AsSpan().CopyTo(to);
            return to;
        }
    }

    public void Restore(KernelSnapshot s)
    {
        Xen.Restore(s.Xen);
        s.XenCr3.AsSpan().CopyTo(XenCr3);
        s.XenCurrentCr3.AsSpan().CopyTo(XenCurrentCr3);
        s.Lazy.AsSpan().CopyTo(Lazy);
        s.InInterrupt.AsSpan().CopyTo(InInterrupt);
        s.LoadedMm.AsSpan().CopyTo(LoadedMm);
        s.IsLazyTlb.AsSpan().CopyTo(IsLazyTlb);
        if (s.FramesGeneration != _framesGeneration)
        {
            s.PagePinned.AsSpan().CopyTo(_pagePinned);
            s.UserPgdOf.AsSpan().CopyTo(_userPgdOf);
            s.PteLocked.AsSpan().CopyTo(_pteLocked);
            s.PageRefs.AsSpan().CopyTo(_pageRefs);

            // Slots above the top are never read before a push writes them.
            s.Free.AsSpan(0, s.FreeTop).CopyTo(_free);
            _freeTop = s.FreeTop;
            _framesGeneration = s.FramesGeneration;
        }

        // The hashes the snapshot carries, if they are of its version and ours are not.
        if (_framesHashGeneration != _framesGeneration && s.FramesHashGeneration == _framesGeneration)
        {
            (_framesHashGeneration, _pinsHash, _refsHash) = (s.FramesHashGeneration, s.PinsHash, s.RefsHash);
        }
        SwapperPgd = s.SwapperPgd;
        VsyscallL3 = s.VsyscallL3;
        Mms.RestoreFrom(s.Mms);
        Mc.Restore(s.Mc);
        if (Oopses.Count != 0 || s.Oopses.Length != 0)
        {
            Oopses.Clear();
            Oopses.AddRange(s.Oopses);
        }
    }

    /// <summary>
    /// A 64-bit fingerprint of the state that decides what happens next: the hypervisor's, and the guest's arrays
    /// and queued multicalls (counters and the WARN and oops logs excluded).
    /// </summary>
    public ulong Fingerprint() => Fingerprint(Xen.Fingerprint());

    /// <summary>The same with every page-table page hashed afresh: the reference the cached page hashes are tested against.</summary>
    public ulong FingerprintFromScratch()
    {
        _framesHashGeneration = 0;
        _framesFingerprintGeneration = 0;
        return Fingerprint(Xen.FingerprintFromScratch());
    }

    /// <summary>
    /// The part of <see cref="Fingerprint()"/> that the per-frame guest invariants read (G2, G4 and the split PTE
    /// locks, <see cref="Invariants.GuestInvariantChecker"/>): the hypervisor's fingerprint, the free list,
    /// PagePinned and PteLocked. A search keys its memo of frames already checked clean on it.
    /// </summary>
    public ulong FramesFingerprint() => FramesFingerprint(Xen.Fingerprint());

    /// <summary>
    /// The <see cref="FramesFingerprint()"/> the last <see cref="Fingerprint()"/> was built on: the current one as long
    /// as nothing has changed since, which only the caller knows.
    /// </summary>
    public ulong LastFramesFingerprint { get; private set; }

    private ulong FramesFingerprint(ulong xen)
    {
        // The same hypervisor fingerprint over the same frame arrays (one version of them) gives the last answer.
        if (xen == _framesFingerprintXen && _framesGeneration == _framesFingerprintGeneration)
        {
            return _framesFingerprint;
        }

        HashFrameArrays();
        var b = FingerprintBuffer.Start();
        b.Add(xen);
        b.Add(_pinsHash);
        (_framesFingerprint, _framesFingerprintXen, _framesFingerprintGeneration) = (b.Hash(), xen, _framesGeneration);
        return _framesFingerprint;
    }

    /// <summary>The last <see cref="FramesFingerprint(ulong)"/>, of the hypervisor fingerprint and frame-array version beside it.</summary>
    private ulong _framesFingerprint;
    private ulong _framesFingerprintXen;
    private ulong _framesFingerprintGeneration;

    /// <summary>Hashes the per-frame arrays, unless they are as they were when last hashed.</summary>
    private void HashFrameArrays()
    {
        if (_framesHashGeneration == _framesGeneration)
        {
            return;
        }

        var b = FingerprintBuffer.Start();
        b.Add((ulong)_freeTop);
        b.Add(_pagePinned);
        b.Add(_pteLocked);
        b.Add((ReadOnlySpan<uint>)_free.AsSpan(0, _freeTop));
        _pinsHash = b.Hash();
        b = FingerprintBuffer.Start();
        b.Add(_userPgdOf);
        b.Add(_pageRefs);
        _refsHash = b.Hash();
        _framesHashGeneration = _framesGeneration;
    }

    /// <summary>
    /// This thread's fingerprint buffer, started with the kernel's state, for a caller (the scheduler's
    /// <see cref="Sched.Machine"/>) to add its own and hash it all in one call.
    /// </summary>
    internal FingerprintBuffer StartFingerprint() => StartFingerprint(Xen.Fingerprint());

    /// <summary>The same with every page-table page hashed afresh (see <see cref="FingerprintFromScratch"/>).</summary>
    internal FingerprintBuffer StartFingerprintFromScratch()
    {
        _framesHashGeneration = 0;
        _framesFingerprintGeneration = 0;
        return StartFingerprint(Xen.FingerprintFromScratch());
    }

    private ulong Fingerprint(ulong xen) => StartFingerprint(xen).Hash();

    private FingerprintBuffer StartFingerprint(ulong xen)
    {
        // Taken first: it uses the buffer too.
        var frames = FramesFingerprint(xen);
        LastFramesFingerprint = frames;
        var b = FingerprintBuffer.Start();
        b.Add(frames);
        b.Add(XenCr3);
        b.Add(XenCurrentCr3);
        b.Add(Lazy);
        b.Add(InInterrupt);
        b.Add(_refsHash);
        b.Add(LoadedMm);
        b.Add(IsLazyTlb);
        Mms.Hash(b);
        Mc.Hash(b);
        return b;
    }
}
