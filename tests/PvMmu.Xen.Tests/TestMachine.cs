using PvMmu.Events;
using PvMmu.Xen.Abi;
using PvMmu.Xen.Frames;
using PvMmu.Xen.Inspection;
using PvMmu.Xen.Invariants;

namespace PvMmu.Xen.Tests;

/// <summary>
/// A guest set up the way Linux runs: init_mm's tables (KL4 → KL3 → KL2 → KL1) map every guest frame at
/// <see cref="DirectVa"/>, read-write, and every vCPU runs on KL4, pinned. Tests then build process tables
/// from the remaining frames through hypercalls, as a guest must.
/// </summary>
internal sealed class TestMachine
{
    public const int KernelL4Slot = 273;

    public TestMachine(int vcpus = 2, XenVersion version = XenVersion.Current, int guestFrames = 48, bool writablePagetables = true, XenRules? rules = null)
    {
        H = new Hypervisor(new HypervisorConfig { Vcpus = vcpus, Version = version, GuestFrames = guestFrames, FreeFrames = 4, OtherFrames = 2, XenFrames = 2, WritablePagetables = writablePagetables, Rules = rules });
        (KL4, KL3, KL2, KL1) = PvMmu.Xen.Domains.DirectMapBuilder.Build(H, KernelL4Slot);
        H.Events.Reset();
    }

    public Hypervisor H { get; }

    public uint KL4 { get; }

    public uint KL3 { get; }

    public uint KL2 { get; }

    public uint KL1 { get; }

    /// <summary>Guest frame number <paramref name="i"/> (0–3 are init_mm's tables).</summary>
    public uint G(int i) => H.FirstGuestFrame + (uint)i;

    /// <summary>Where the direct map puts guest frame <paramref name="mfn"/>.</summary>
    public ulong DirectVa(uint mfn) => 0xFFFF_8000_0000_0000UL | ((ulong)KernelL4Slot << 39) | ((ulong)(mfn - H.FirstGuestFrame) << 12);

    public FrameInfo F(uint mfn) => H.Frame(mfn);

    public static ulong E(uint mfn, ulong flags) => PageFlags.Entry(mfn, flags);

    public const ulong P = PageFlags.Present;
    public const ulong RW = PageFlags.Rw;
    public const ulong U = PageFlags.User;

    /// <summary>Makes the direct-map alias of a frame read-only (what Linux does before pinning it).</summary>
    public void MakeRo(params uint[] frames)
    {
        foreach (var m in frames)
        {
            Ok(H.UpdateVaMapping(0, DirectVa(m), E(m, P), UvmFlags.Invlpg | UvmFlags.All));
        }
    }

    /// <summary>Writes an entry of a not-yet-pinned table with a plain store through the direct map.</summary>
    public void Poke(uint table, int slot, ulong value, int vcpu = 0) =>
        Assert.Equal(PvMmu.Xen.Access.AccessResult.Ok, H.Store(vcpu, DirectVa(table) + ((ulong)slot * 8), value));

    /// <summary>Builds a process tree l4 → l3 → l2 → l1 mapping <paramref name="data"/> at user address 0, and the kernel half, then makes it read-only.</summary>
    public (uint L4, uint L3, uint L2, uint L1) BuildProcess(int first, params uint[] data)
    {
        uint l4 = G(first), l3 = G(first + 1), l2 = G(first + 2), l1 = G(first + 3);
        Poke(l4, 0, E(l3, P | RW | U));
        Poke(l4, KernelL4Slot, E(KL3, P | RW));
        Poke(l3, 0, E(l2, P | RW | U));
        Poke(l2, 0, E(l1, P | RW | U));
        for (var i = 0; i < data.Length; i++)
        {
            Poke(l1, i, E(data[i], P | RW | U));
        }

        MakeRo(l4, l3, l2, l1);
        return (l4, l3, l2, l1);
    }

    public static void Ok(long rc) => Assert.Equal(0, rc);

    public long Ext(int vcpu, params MmuExtOpRequest[] ops) => H.MmuextOp(vcpu, ops, out _);

    public long Mmu(int vcpu, params MmuUpdateRequest[] reqs) => H.MmuUpdate(vcpu, reqs, out _);

    public void AssertInvariants()
    {
        var errors = new InvariantChecker().Check(H);
        Assert.True(errors.Count == 0, string.Join("\n", errors));
    }

    public long Count(EventKind e) => H.Events.Total(e);

    public static PageType T(int level) => (PageType)level;
}
