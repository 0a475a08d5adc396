using PvMmu.Events;
using PvMmu.Xen.Abi;
using PvMmu.Xen.Access;
using PvMmu.Xen.Cpu;
using PvMmu.Xen.Domains;
using PvMmu.Xen.Frames;
using PvMmu.Xen.Hypercalls;
using PvMmu.Xen.Inspection;
using PvMmu.Xen.State;
using PvMmu.Xen.Types;

namespace PvMmu.Xen;

/// <summary>
/// The Xen PV MMU model: one guest domain's frames, vCPUs and TLBs, driven only through hypercalls and guest
/// loads and stores, as a real guest drives Xen. All state lives in the arrays of the fields below, so a model
/// can be snapshotted, restored and fingerprinted cheaply. Return values are Xen's (0 or a negated errno).
/// </summary>
public sealed partial class Hypervisor
{
    internal readonly FrameTable Frames;
    internal readonly PageTablePool Tables;
    internal readonly VcpuTable Vcpus;
    internal readonly Tlb Tlb;
    internal readonly DomainTable Domains;

    /// <summary>tlbflush_clock: starts at 1, ticked by every full flush (kept in an array of one, to be declared as state).</summary>
    internal ref uint Clock => ref _clock[0];

    private readonly uint[] _clock = [0];

    /// <summary>The vCPU whose hypercall or access is being processed; events are charged to it.</summary>
    internal int CurrentVcpu;

    /// <summary>machine_to_phys_mapping: the M2P table that MMU_MACHPHYS_UPDATE writes (a table of its own in Xen too, not part of page_info).</summary>
    internal readonly ulong[] M2p;

    /// <summary>
    /// The version of the state: a number no other content ever had, taken afresh by every call that can change the
    /// state (each hypercall, load and store passes through <see cref="Enter"/>, and every write of a table's contents,
    /// the builder's included, through <see cref="WriteContents"/>; nothing outside this assembly reaches the state
    /// otherwise) and set back by
    /// <see cref="Restore"/> to the snapshot's. Equal versions of one hypervisor mean equal states, so the fingerprint,
    /// a snapshot and a restore can skip their work when nothing was called since. Unequal versions say nothing: a
    /// load that hits the TLB takes a new version and leaves the state as it was.
    /// </summary>
    internal ulong Generation;

    /// <summary>Instance numbers, so that two hypervisors never share a <see cref="Generation"/>.</summary>
    private static long _instances;

    private ulong _nextGeneration;
    private ulong _fingerprintGeneration;
    private ulong _fingerprint;

    /// <summary>
    /// A hypervisor of <paramref name="config"/>'s size that counts into <paramref name="events"/>, the sink of the
    /// run that owns it (a sink of its own, one phase, when none is given).
    /// </summary>
    public Hypervisor(HypervisorConfig config, EventSink? events = null)
    {
        // 24 bits of instance and 40 of version: a hypervisor would need 10^12 calls to run into the next one's.
        _nextGeneration = (ulong)Interlocked.Increment(ref _instances) << 40;
        Touch();
        if (config.Vcpus is < 1 or > 64)
        {
            throw new ArgumentOutOfRangeException(nameof(config), "vcpus must be between 1 and 64");
        }

        if (config.XenFrames < 1 || config.GuestFrames < 1 || config.OtherFrames < 0 || config.FreeFrames < 0 || config.IoFrames < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(config), "frame counts must be positive (Xen needs frame 0)");
        }

        Config = config;
        Rules = config.Rules ?? XenRules.For(config.Version);
        Frames = new FrameTable(config.TotalFrames);
        Tables = new PageTablePool();
        Vcpus = new VcpuTable(config.Vcpus);
        Tlb = new Tlb(config.Vcpus, config.TlbEntries);
        Domains = new DomainTable();
        Events = events ?? new EventSink(config.Vcpus);
        if (Events.Vcpus != config.Vcpus)
        {
            throw new ArgumentException($"the event sink counts {Events.Vcpus} vCPUs, the hypervisor has {config.Vcpus}", nameof(events));
        }

        M2p = new ulong[config.TotalFrames];
        Clock = 1;
        DeclaredState = Declare();
        Assign(0, (uint)config.XenFrames, DomainTable.Xen);
        Assign(config.FirstGuestFrame, (uint)config.GuestFrames, DomainTable.Guest);
        Assign(config.FirstOtherFrame, (uint)config.OtherFrames, DomainTable.Other);
        Assign(config.FirstIoFrame, (uint)config.IoFrames, DomainTable.Io);
        Domains.WritablePagetables[DomainTable.Guest] = config.WritablePagetables;
        for (var v = 0; v < config.Vcpus; v++)
        {
            Vcpus.Online[v] = true;
            Domains.DirtyCpuMask[DomainTable.Guest] |= 1UL << v;
            if (config.Pv32)
            {
                CompatL4.Setup(this, v);
            }
        }
    }

    public HypervisorConfig Config { get; }

    public XenRules Rules { get; }

    /// <summary>is_pv_32bit_domain: only the guest can be one (<see cref="HypervisorConfig.Pv32"/>).</summary>
    public bool IsPv32BitDomain(int domain) => domain == DomainTable.Guest && Config.Pv32;

    /// <summary>
    /// Where this model's events are counted: the run's sink, shared with the guest model above it. The hypervisor only
    /// adds to it and says which vCPU is charged; the phase is the run's.
    /// </summary>
    public EventSink Events { get; }

    /// <summary>Debug builds of Xen reserve _PAGE_GNTTAB in L1 entries; the model follows a release build.</summary>
    internal bool DebugBuild => false;

    public int VcpuCount => Vcpus.Count;

    public int FrameCount => Frames.Count;

    private void Assign(uint first, uint count, ushort owner)
    {
        for (var m = first; m < first + count; m++)
        {
            Frames.Owner[m] = owner;
            Frames.Flags[m] = FrameFlags.Allocated;
            Frames.GeneralCount[m] = 1;
        }
    }

    internal ulong OnlineCpuMask()
    {
        ulong m = 0;
        for (var v = 0; v < Vcpus.Count; v++)
        {
            if (Vcpus.Online[v])
            {
                m |= 1UL << v;
            }
        }

        return m;
    }

    /// <summary>The pool page holding <paramref name="mfn"/>'s entries, allocated on first use.</summary>
    internal int EnsureContents(uint mfn)
    {
        var t = Frames.TableIndex[mfn];
        if (t < 0)
        {
            t = Tables.Allocate();
            Frames.TableIndex[mfn] = t;
        }

        return t;
    }

    internal ulong ReadContents(uint mfn, int slot)
    {
        var t = Frames.TableIndex[mfn];
        return t < 0 ? 0 : Tables.Read(t, slot);
    }

    internal void WriteContents(uint mfn, int slot, ulong value)
    {
        // Hypercalls took a new version in Enter already; this one covers the builder and any other writer.
        Touch();
        if (value == 0 && Frames.TableIndex[mfn] < 0)
        {
            return;
        }

        Tables.Write(EnsureContents(mfn), slot, value);
    }

    private void Enter(int vcpu)
    {
        if ((uint)vcpu >= (uint)Vcpus.Count)
        {
            throw new ArgumentOutOfRangeException(nameof(vcpu), $"vCPU {vcpu} does not exist (0..{Vcpus.Count - 1})");
        }

        CurrentVcpu = vcpu;
        Events.Vcpu = vcpu;
        Touch();
    }

    /// <summary>The state may change: take a version no state has had.</summary>
    private void Touch() => Generation = ++_nextGeneration;

    // ---- Hypercalls ----------------------------------------------------------------------------------------

    /// <summary>
    /// HYPERVISOR_mmu_update (do_mmu_update). <paramref name="done"/> receives *pdone; <paramref name="foreignDom"/>
    /// holds the page owner in bits 0–15 and the page-table owner + 1 in bits 16–31. <paramref name="copyable"/> is how
    /// many requests lie on pages Xen can read (see <see cref="GuestHandles.AllCopyable"/>).
    /// </summary>
    public long MmuUpdate(int vcpu, ReadOnlySpan<MmuUpdateRequest> requests, out uint done, uint foreignDom = DomainIds.Self, ulong listHandle = GuestHandles.Valid, int copyable = int.MaxValue)
    {
        Enter(vcpu);
        return MmuUpdates.Hypercall(this, requests, out done, foreignDom, listHandle, copyable);
    }

    /// <summary>
    /// The first half of _get_page_type's cmpxchg loop (mm.c), split off so that a two-vCPU race can put moves
    /// between it and the cmpxchg (XSA-401, docs/xen-rules.md#security-advisories): <paramref name="vcpu"/>, on its
    /// way to give <paramref name="mfn"/> <paramref name="type"/>, reads its type_info. With count 0 and another type,
    /// Xen before XSA-401 made its safety flush here. A read with count above 0 and another type is already the call's
    /// end (-EINVAL, no cmpxchg): <see cref="TypeInfoRead.Conflict"/>.
    /// </summary>
    public TypeInfoRead ReadTypeInfo(int vcpu, uint mfn, PageType type)
    {
        // Not a hypercall but a scenario's handle on one: a frame outside the machine is the scenario's mistake.
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(mfn, (uint)FrameCount);
        Enter(vcpu);
        var read = TypeInfoNow(mfn, type);
        if (!Rules.TypeChangeFlushAfterClaim && read.Count == 0 && read.Type != type)
        {
            PageTypes.TypeChangeFlush(this, mfn);
        }

        return read;
    }

    /// <summary>
    /// The second half: the cmpxchg of <paramref name="read"/>'s frame against what was read, then the rest of the
    /// hypercall that takes the type reference (<paramref name="hypercall"/>, run at once). Null when type_info
    /// changed since the read (Xen loops and reads again). The flush that <see cref="ReadTypeInfo"/> already made
    /// is not made twice.
    /// </summary>
    public long? ClaimAfterRead(TypeInfoRead read, Func<Hypervisor, long> hypercall)
    {
        ArgumentNullException.ThrowIfNull(hypercall);
        if (TypeInfoNow(read.Mfn, read.Wanted) != read)
        {
            return null;
        }

        FlushedBeforeClaim = Rules.TypeChangeFlushAfterClaim ? uint.MaxValue : read.Mfn;
        try
        {
            return hypercall(this);
        }
        finally
        {
            FlushedBeforeClaim = uint.MaxValue;
        }
    }

    private TypeInfoRead TypeInfoNow(uint mfn, PageType wanted) =>
        new(mfn, wanted, Frames.Type[mfn], Frames.TypeCount[mfn], Frames.Has(mfn, FrameFlags.Validated));

    /// <summary>A frame whose type-change flush a split read already made (pre-XSA-401 order); none outside the split.</summary>
    internal uint FlushedBeforeClaim = uint.MaxValue;

    /// <summary>HYPERVISOR_mmuext_op (do_mmuext_op); <paramref name="copyable"/> as for <see cref="MmuUpdate"/>.</summary>
    public long MmuextOp(int vcpu, ReadOnlySpan<MmuExtOpRequest> ops, out uint done, uint foreignDom = DomainIds.Self, ulong listHandle = GuestHandles.Valid, int copyable = int.MaxValue)
    {
        Enter(vcpu);
        return MmuExtOps.Hypercall(this, ops, out done, foreignDom, listHandle, copyable);
    }

    /// <summary>
    /// HYPERVISOR_update_va_mapping. When <c>flags &amp; ~3</c> is neither UVMF_LOCAL nor UVMF_ALL it is a guest
    /// pointer to a vCPU bitmap, whose contents are <paramref name="vcpuMask"/>.
    /// </summary>
    public long UpdateVaMapping(int vcpu, ulong va, ulong val, ulong flags, ulong vcpuMask = 0)
    {
        Enter(vcpu);
        return UpdateVaMappings.Hypercall(this, va, val, flags, vcpuMask, DomainIds.Self);
    }

    /// <summary>HYPERVISOR_update_va_mapping_otherdomain: the same with a foreign page owner.</summary>
    public long UpdateVaMappingOtherdomain(int vcpu, ulong va, ulong val, ulong flags, ushort domid, ulong vcpuMask = 0)
    {
        Enter(vcpu);
        return UpdateVaMappings.Hypercall(this, va, val, flags, vcpuMask, domid);
    }

    /// <summary>
    /// HYPERVISOR_multicall. Batched sub-calls take their requests from <paramref name="mmuArgs"/> and
    /// <paramref name="extArgs"/> (Args0 is the index of the first, Args1 the count). Each entry's result is
    /// written to its <see cref="MulticallEntry.Result"/>; <paramref name="copyable"/> as for <see cref="MmuUpdate"/>.
    /// </summary>
    public long Multicall(int vcpu, Span<MulticallEntry> entries, ReadOnlySpan<MmuUpdateRequest> mmuArgs, ReadOnlySpan<MmuExtOpRequest> extArgs, ulong listHandle = GuestHandles.Valid, int copyable = int.MaxValue)
    {
        Enter(vcpu);
        return Multicalls.Hypercall(this, entries, mmuArgs, extArgs, listHandle, copyable);
    }

    /// <summary>
    /// VCPUOP_initialise for <paramref name="target"/> (arch_set_info_guest): the kernel base pointer (a general and
    /// an L4 type reference, validating the tree if needed) and, if non-zero, the user one.
    /// </summary>
    public long VcpuInitialise(int vcpu, int target, ulong cr3, ulong userCr3 = 0)
    {
        Enter(vcpu);

        // xen_cr3_to_pfn gives an unsigned long frame number: no bit of it may alias a frame of the model.
        return VcpuOps.Initialise(this, target, FrameTable.Narrow(cr3), FrameTable.Narrow(userCr3));
    }

    /// <summary>XENMEM_decrease_reservation of one frame. Returns the number of extents released (0 or 1).</summary>
    public long DecreaseReservation(int vcpu, ulong mfn)
    {
        Enter(vcpu);

        // The extent's gmfn is a xen_pfn_t (64 bits): no bit of it may alias a frame of the model.
        return MemoryOps.DecreaseReservation(this, FrameTable.Narrow(mfn));
    }

    /// <summary>XENMEM_populate_physmap of one frame: the lowest free frame becomes the guest's. Returns its MFN, or -ENOMEM.</summary>
    public long PopulatePhysmap(int vcpu)
    {
        Enter(vcpu);
        return MemoryOps.PopulatePhysmap(this);
    }

    /// <summary>HYPERVISOR_iret to guest user mode: the vCPU switches to its user page tables (toggle_guest_mode).</summary>
    public long Iret(int vcpu)
    {
        Enter(vcpu);
        Events.Add(EventKind.Hypercall);
        return VcpuOps.ToUserMode(this);
    }

    /// <summary>
    /// A page fault the guest's user mode takes and its kernel must handle (a not-present PTE, or a write to a
    /// read-only one), the round trip of an x86-64 PV guest: the #PF enters Xen (do_page_fault, xen/arch/x86/traps.c),
    /// which finds nothing to fix up itself (no ptwr emulation: the fault is on a user page, not a page-table write)
    /// and bounces it to the guest kernel (pv_inject_page_fault → create_bounce_frame, switching to the kernel's page
    /// tables: toggle_guest_mode); the guest's handler returns with HYPERVISOR_iret, which switches back. On bare
    /// hardware the CPU delivers the fault to the kernel directly: nothing here. The two switches' flushes of
    /// non-global entries are left out (docs/model.md): the vCPU's TLB keeps what it held, never fewer entries than
    /// the real one, so no stale entry is hidden.
    /// </summary>
    public void UserFault(int vcpu)
    {
        if (Config.BareMetal)
        {
            return;
        }

        Enter(vcpu);
        Events.Add(EventKind.FaultInjected);
        Events.Add(EventKind.ModeSwitch);
        Events.Add(EventKind.Hypercall);
        Events.Add(EventKind.ModeSwitch);
    }

    /// <summary>A syscall, interrupt or exception from guest user mode: back to the kernel page tables.</summary>
    public void EnterKernel(int vcpu)
    {
        Enter(vcpu);
        VcpuOps.ToKernelMode(this);
    }

    // ---- Guest loads and stores ------------------------------------------------------------------------------

    /// <summary>An 8-byte load at <paramref name="va"/> through the vCPU's TLB and tables.</summary>
    public AccessResult Load(int vcpu, ulong va, out ulong value)
    {
        Enter(vcpu);
        return GuestMemory.Access(this, va, AccessKind.Load, 0, out value);
    }

    /// <summary>A naturally aligned 8-byte store at <paramref name="va"/>.</summary>
    public AccessResult Store(int vcpu, ulong va, ulong value)
    {
        Enter(vcpu);
        return GuestMemory.Access(this, va, AccessKind.Store, value, out _);
    }

    /// <summary>A naturally aligned 4-byte store of the low 32 bits of <paramref name="value"/> at <paramref name="va"/>.</summary>
    public AccessResult Store4(int vcpu, ulong va, ulong value)
    {
        Enter(vcpu);
        return GuestMemory.Access(this, va, AccessKind.Store4, value, out _);
    }

    /// <summary>An atomic exchange (xchg: a locked read-modify-write), as ptep_get_and_clear uses.</summary>
    public AccessResult Xchg(int vcpu, ulong va, ulong value, out ulong old)
    {
        Enter(vcpu);
        return GuestMemory.Access(this, va, AccessKind.Xchg, value, out old);
    }

    // ---- Bare hardware (HypervisorConfig.BareMetal: no hypervisor, a native kernel's own MMU operations) ----------

    /// <summary>native_write_cr3 on <paramref name="vcpu"/>: <paramref name="l4"/> becomes its top-level table, untyped.</summary>
    public void BareLoadCr3(int vcpu, uint l4)
    {
        EnterBare(vcpu);
        BareMetal.LoadCr3(this, vcpu, l4);
    }

    /// <summary>native_flush_tlb_local on <paramref name="vcpu"/>.</summary>
    public void BareFlushLocal(int vcpu)
    {
        EnterBare(vcpu);
        BareMetal.FlushLocal(this, vcpu);
    }

    /// <summary>native_flush_tlb_one_user (INVLPG) of <paramref name="va"/> on <paramref name="vcpu"/>.</summary>
    public void BareInvlpg(int vcpu, ulong va)
    {
        EnterBare(vcpu);
        BareMetal.Invlpg(this, vcpu, va);
    }

    /// <summary>
    /// The IPIs of native_flush_tlb_multi from <paramref name="vcpu"/> to <paramref name="targets"/> (its own bit
    /// ignored): <paramref name="pages"/> pages from <paramref name="start"/> invalidated on each, or (0) a flush.
    /// </summary>
    public void BareRemoteFlush(int vcpu, ulong targets, ulong start, int pages)
    {
        EnterBare(vcpu);
        targets &= ~(1UL << vcpu);
        if (targets != 0)
        {
            BareMetal.RemoteFlush(this, targets, start, pages);
        }
    }

    private void EnterBare(int vcpu)
    {
        if (!Config.BareMetal)
        {
            throw new InvalidOperationException("a bare-hardware operation on a machine with a hypervisor (HypervisorConfig.BareMetal is off)");
        }

        Enter(vcpu);
    }

    // ---- The domain builder ----------------------------------------------------------------------------------

    /// <summary>
    /// Writes one entry of a guest frame as the domain builder does before the guest runs. Refused for a frame
    /// that is not a guest's or that is in use as a page table or descriptor page: those contents only Xen may
    /// change.
    /// </summary>
    public void BuilderWrite(uint mfn, int slot, ulong value)
    {
        if (!Frames.IsValid(mfn) || !Validation.IsGuest(Frames.Owner[mfn]))
        {
            throw new ArgumentException($"frame {mfn} is not a guest frame");
        }

        if ((uint)slot >= PageTablePool.EntriesPerTable)
        {
            throw new ArgumentOutOfRangeException(nameof(slot), "slot must be 0..511");
        }

        if (Frames.TypeCount[mfn] > 0 && Frames.Type[mfn] != PageType.Writable)
        {
            throw new ArgumentException($"frame {mfn} is in use as {Frames.Type[mfn]}; only hypercalls may change it");
        }

        WriteContents(mfn, slot, value);
    }

    // ---- Inspection (for tests, scripts and invariant checks; a guest cannot see this) ------------------------

    public FrameInfo Frame(uint mfn) => new(
        mfn,
        Frames.Owner[mfn] == DomainTable.NoOwner ? (ushort)0xFFFF : DomainTable.DomId[Frames.Owner[mfn]],
        Frames.GeneralCount[mfn],
        Frames.Type[mfn],
        Frames.TypeCount[mfn],
        Frames.Flags[mfn],
        Frames.LinearPtCount[mfn],
        Frames.TlbStamp[mfn]);

    public ulong Entry(uint mfn, int slot) => ReadContents(mfn, slot);

    /// <summary>machine_to_phys_mapping[<paramref name="mfn"/>]: the pseudo-physical frame MMU_MACHPHYS_UPDATE last wrote (0 before any).</summary>
    public ulong MachineToPhys(uint mfn) => M2p[mfn];

    /// <summary>Whether <paramref name="mfn"/> is an L1–L4 with a type count above 0 (what <see cref="Frame"/> tells, without building it).</summary>
    public bool IsPageTableInUse(uint mfn) => Frames.IsPageTableInUse(mfn);

    /// <summary>
    /// A frame's 512 entries as memory holds them, or an empty span for a frame that never held one (most data
    /// pages): lets the guest model find what a zeroing must clear without reading 512 zeros.
    /// </summary>
    public ReadOnlySpan<ulong> Entries(uint mfn)
    {
        var t = Frames.TableIndex[mfn];
        return t < 0 ? [] : Tables.View(t);
    }

    public VcpuInfo Vcpu(int v) => new(v, Vcpus.GuestTable[v], Vcpus.GuestTableUser[v], Vcpus.KernelMode[v], Vcpus.Online[v], Vcpus.TlbFlushTime[v]);

    /// <summary>The base pointer vCPU <paramref name="v"/> runs on (<see cref="VcpuInfo.GuestTable"/> alone, for a check run after every move).</summary>
    public uint VcpuGuestTable(int v) => Vcpus.GuestTable[v];

    /// <summary>What vCPU <paramref name="v"/>'s TLB caches for <paramref name="va"/>, if anything.</summary>
    public TlbEntryInfo? TlbLookup(int v, ulong va)
    {
        var i = Tlb.Find(v, va);
        return i < 0 ? null : new TlbEntryInfo(Tlb.Mfn[i], (Tlb.Bits[i] & TlbBits.Writable) != 0, (Tlb.Bits[i] & TlbBits.Global) != 0);
    }

    public uint TlbClock => Clock;

    public ulong DirtyCpuMask => Domains.DirtyCpuMask[DomainTable.Guest];

    public bool DomainCrashed => Domains.Crashed[DomainTable.Guest];

    /// <summary>Set when the model reached a state in which the real Xen would have crashed (a finding).</summary>
    public string? HostCrash { get; private set; }

    internal void HypervisorFault(string what) => HostCrash ??= what;

    public uint FirstGuestFrame => Config.FirstGuestFrame;

    // ---- Snapshots -------------------------------------------------------------------------------------------

    /// <summary>
    /// The hypervisor's explored state, declared once: every array of it, in the order snapshot, restore and the
    /// fingerprint (<see cref="StateHash"/>) walk it, and the page-table pool beside it (indexed by
    /// <c>frame.contents</c>). Everything else a <see cref="Hypervisor"/> holds is not state: its configuration, the
    /// event counts (tallies), the version numbers and the cached fingerprint (derived), the vCPU an entry is charged to
    /// and a split type claim's flush (both set by the call that uses them), and the host-crash finding (reported).
    /// </summary>
    public IReadOnlyList<StateArray> DeclaredState { get; }

    /// <summary>
    /// <see cref="DeclaredState"/> as the array it is, for the loops that walk it at every state (a foreach over the
    /// interface goes through an enumerator).
    /// </summary>
    internal ReadOnlySpan<StateArray> Declared => (StateArray[])DeclaredState;

    private StateArray[] Declare()
    {
        var f = Frames;
        var v = Vcpus;
        var t = Tlb;
        var d = Domains;
        StateArray[] all =
        [
            StateArray.Of("page_info.count_info", f.GeneralCount),
            StateArray.Of("page_info.type_count", f.TypeCount),
            StateArray.Of("page_info.type", f.Type),
            StateArray.Of("page_info.flags", f.Flags),
            StateArray.Of("page_info.linear_pt_count", f.LinearPtCount),
            StateArray.Of("page_info.owner", f.Owner),
            StateArray.Of("page_info.tlbflush_timestamp", f.TlbStamp),
            StateArray.Of("page_info.contents", f.TableIndex, StateRole.PageIndex),
            StateArray.Of("vcpu.guest_table", v.GuestTable),
            StateArray.Of("vcpu.guest_table_user", v.GuestTableUser),
            StateArray.Of("vcpu.kernel_mode", v.KernelMode),
            StateArray.Of("vcpu.online", v.Online),
            StateArray.Of("vcpu.old_guest_table", v.OldGuestTable),
            StateArray.Of("vcpu.old_guest_ptpg", v.OldGuestPtpg),
            StateArray.Of("vcpu.tlbflush_time", v.TlbFlushTime),
            StateArray.Of("tlb.key", t.Key),
            StateArray.Of("tlb.mfn", t.Mfn),
            StateArray.Of("tlb.bits", t.Bits),
            StateArray.Of("tlb.l1", t.L1),
            StateArray.Of("tlb.l2", t.L2),
            StateArray.Of("tlb.l3", t.L3),
            StateArray.Of("tlb.l4", t.L4),
            StateArray.Of("tlb.next", t.Next),
            StateArray.Of("tlb.linear_key", t.LinearKey),
            StateArray.Of("tlb.linear_frame", t.LinearFrame),
            StateArray.Of("tlb.linear_next", t.LinearNext),
            StateArray.Of("domain.dirty_cpumask", d.DirtyCpuMask),
            StateArray.Of("domain.nr_l4_pages", d.NrL4Pages),
            StateArray.Of("domain.writable_pagetables", d.WritablePagetables),
            StateArray.Of("domain.crashed", d.Crashed),
            StateArray.Of("machine_to_phys_mapping", M2p),
            StateArray.Of("tlbflush_clock", _clock),
        ];
        foreach (var a in all)
        {
            _stateBytes += a.ByteLength;
        }

        return all;
    }

    /// <summary>The bytes of every declared array together: one snapshot's copy of them.</summary>
    private int _stateBytes;

    /// <summary>
    /// A copy of the whole model state (<see cref="DeclaredState"/>); page contents are shared copy-on-write. With
    /// <paramref name="events"/> false the event counts are left out: a restore from it leaves them as they are
    /// (counts are tallies that no step reads, and a search that saves and restores at every state should not pay
    /// for copying them).
    /// </summary>
    public HypervisorSnapshot Snapshot(bool events = true)
    {
        var s = new HypervisorSnapshot(new byte[_stateBytes], Tables.Snapshot(), events ? Events.Clone() : null);
        SaveDeclared(s.State);
        s.Generation = Generation;
        KeepFingerprint(s);
        return s;
    }

    /// <summary>
    /// <see cref="Snapshot"/> into <paramref name="reuse"/> (a snapshot of this hypervisor no longer needed, or null),
    /// copying into its arrays so that a search taking one snapshot per state allocates nothing. The event counts are
    /// copied if <paramref name="reuse"/> was taken with them.
    /// </summary>
    public HypervisorSnapshot SnapshotInto(HypervisorSnapshot? reuse)
    {
        if (reuse == null || reuse.State.Length != _stateBytes)
        {
            return Snapshot(reuse?.Events != null);
        }

        // The event counts are outside the versioned state (a guest's phase marks move them): copied whatever the version.
        CopyEvents(reuse);
        KeepFingerprint(reuse);
        if (reuse.Generation == Generation)
        {
            return reuse;
        }

        reuse.Generation = Generation;
        SaveDeclared(reuse.State);
        reuse.Tables = Tables.SnapshotInto(reuse.Tables);
        return reuse;
    }

    /// <summary>Puts the fingerprint into <paramref name="s"/>, if it is known for the state now (see <see cref="HypervisorSnapshot.Fingerprint"/>).</summary>
    private void KeepFingerprint(HypervisorSnapshot s)
    {
        if (_fingerprintGeneration == Generation)
        {
            (s.Fingerprint, s.FingerprintGeneration) = (_fingerprint, Generation);
        }
    }

    private void SaveDeclared(byte[] into)
    {
        var at = 0;
        foreach (var a in Declared)
        {
            var bytes = a.Bytes;
            bytes.CopyTo(into.AsSpan(at));
            at += bytes.Length;
        }
    }

    private void CopyEvents(HypervisorSnapshot reuse)
    {
        if (reuse.Events == null)
        {
            return;
        }

        if (reuse.Events.SameShape(Events))
        {
            reuse.Events.CopyFrom(Events);
        }
        else
        {
            reuse.Events = Events.Clone();
        }
    }

    /// <summary>
    /// Puts the state of <paramref name="s"/> back (the event counts too, if it has them); a state still at the
    /// snapshot's version is left as it is.
    /// </summary>
    public void Restore(HypervisorSnapshot s)
    {
        if (s.Events != null)
        {
            Events.CopyFrom(s.Events);
        }

        // A fingerprint the snapshot holds for its state is the state's now.
        if (s.FingerprintGeneration == s.Generation && _fingerprintGeneration != s.Generation)
        {
            (_fingerprint, _fingerprintGeneration) = (s.Fingerprint, s.Generation);
        }

        if (s.Generation == Generation)
        {
            return;
        }

        Generation = s.Generation;
        var at = 0;
        foreach (var a in Declared)
        {
            var bytes = a.Bytes;
            s.State.AsSpan(at, bytes.Length).CopyTo(bytes);
            at += bytes.Length;
        }

        Tables.RestoreFrom(s.Tables);
    }

    /// <summary>
    /// For tests that change a declared array behind the model's back (<see cref="DeclaredState"/>): the state is
    /// now one no snapshot or cached fingerprint is of.
    /// </summary>
    public void Touched() => Touch();

    /// <summary>
    /// A 64-bit fingerprint of the state that decides future behaviour (event counts excluded); computed once per
    /// <see cref="Generation"/>.
    /// </summary>
    public ulong Fingerprint()
    {
        if (_fingerprintGeneration != Generation)
        {
            _fingerprint = StateHash.Compute(this);
            _fingerprintGeneration = Generation;
        }

        return _fingerprint;
    }

    /// <summary>
    /// The same fingerprint with every page-table page hashed afresh instead of from the hashes cached in the pool:
    /// the reference <see cref="Fingerprint"/> is tested against.
    /// </summary>
    public ulong FingerprintFromScratch() => StateHash.Compute(this, cached: false);
}
