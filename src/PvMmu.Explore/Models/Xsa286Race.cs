using PvMmu.Scheduling;
using PvMmu.Xen;
using PvMmu.Xen.Abi;

namespace PvMmu.Explore.Models;

/// <summary>
/// XSA-286 on a 32-bit PAE PV guest (scenario <c>xsa-286</c>), the environment of the XTF job that failed in May 2021
/// (test-pv32pae-xsa-286, OSSTest flight 161909) and made cb199cc7de revert edcfce5591 and bed7e6cad3. The guest's
/// top-level table is an L3, pinned by the domain builder (MMUEXT_PIN_L3_TABLE), that new_guest_cr3 hooks into slot 0
/// of each vCPU's compat L4 (Xen's page, setup_compat_l4), taking a type reference each: with the pin its type count
/// is 3, so edcfce5591's free-floating test alone would still flush after an update of it; bed7e6cad3 does not flush
/// after any L3 update of a 32-bit domain.
/// <para>
/// Tables as the XTF test (tests/xsa-286/main.c) sets them up: L3 slot 0 is the guest's direct map (KL2 → KL1),
/// slot 3 the L2 that a PAE L3 must have there, slot 1 names L2 T1; T1[0] = L1 A, T2[0] = L1 B, T1 and T2 pinned,
/// and T1, T2, A, B lose their writable mappings before they are typed. The test's multicall, on one vCPU, is
/// update_va_mapping(1 &lt;&lt; L3_PT_SHIFT, 0, UVMF_INVLPG) (Xen's linear map of that address's L2 is cached),
/// mmu_update(L3[1] = T2), update_va_mapping(same address, data, UVMF_INVLPG). Here the two update_va_mapping calls
/// are vCPU 0's program and the L3 swap is vCPU 1's, so that the explorer chooses the order; the schedule
/// v0, v1, v0 is the test's. The property is the test's: the second update_va_mapping writes the L1 that the tables
/// name at that moment (L3[1] → L2[0]); writing A instead is "Xen retained stale linear pt mapping". The I1–I8
/// invariants are checked too.
/// </para>
/// </summary>
public sealed class Xsa286Race : StaleWriteRace
{
    /// <summary>The scenario's name.</summary>
    public const string Name = "xsa-286";

    /// <summary>The Xen variants <c>pvmmu check --scenario xsa-286|xsa-286-pv64 --xen</c> takes.</summary>
    public static IReadOnlyList<string> Variants { get; } = ["current", "relaxed-flush", "4.8"];

    private const int RaceSlot = 1;

    /// <summary>slot &lt;&lt; L3_PT_SHIFT, the XTF test's address.</summary>
    private const ulong Va = (ulong)RaceSlot << 30;

    // The steps: vCPU 0: 0 first update_va_mapping, 1 second, 2 done; vCPU 1: 0 swap, 1 done. Stale: the write the
    // second update_va_mapping made through a stale translation, if it made one.

    /// <summary>A fresh scenario under one of <see cref="Variants"/>.</summary>
    public Xsa286Race(string variant)
        : base(Name, NewHypervisor(variant), 2, 1)
    {
        Top = G(0);
        var kl2 = G(1);
        var kl1 = G(2);
        var xenL2 = G(3);
        T1 = G(4);
        T2 = G(5);
        A = G(6);
        B = G(7);
        Data = G(8);

        // The guest's first tables (a domain builder's): L3 slot 0 maps every guest frame from address 0, the four
        // table frames read-only; slot 3 is the L2 every PAE L3 needs there.
        Hypervisor.BuilderWrite(Top, 0, PageFlags.Entry(kl2, PageFlags.Present | PageFlags.Rw));
        Hypervisor.BuilderWrite(Top, 3, PageFlags.Entry(xenL2, PageFlags.Present | PageFlags.Rw));
        Hypervisor.BuilderWrite(kl2, 0, PageFlags.Entry(kl1, PageFlags.Present | PageFlags.Rw));
        for (var i = 0; i < Hypervisor.Config.GuestFrames; i++)
        {
            Hypervisor.BuilderWrite(kl1, i, PageFlags.Entry(G(i), PageFlags.Present | (i < 4 ? 0 : PageFlags.Rw)));
        }

        Require(Hypervisor.MmuextOp(0, [MmuExtOpRequest.Pin(3, Top)], out _));
        for (var v = 0; v < Hypervisor.VcpuCount; v++)
        {
            Require(Hypervisor.MmuextOp(v, [MmuExtOpRequest.NewBaseptr(Top)], out _));
        }

        // The test's tables lose their writable direct-map entries (XTF remaps them read-only) before they are typed.
        for (var i = 4; i <= 7; i++)
        {
            Require(Hypervisor.MmuUpdate(0, [MmuUpdateRequest.Normal(kl1, i, 0)], out _));
        }

        Hypervisor.BuilderWrite(T1, 0, PageFlags.Entry(A, PageFlags.Present | PageFlags.Rw | PageFlags.Accessed | PageFlags.Dirty));
        Hypervisor.BuilderWrite(T2, 0, PageFlags.Entry(B, PageFlags.Present | PageFlags.Rw | PageFlags.Accessed | PageFlags.Dirty));
        Require(Hypervisor.MmuextOp(0, [MmuExtOpRequest.Pin(2, T1), MmuExtOpRequest.Pin(2, T2)], out _));

        // The loop's reset: L3[1] = T1 (A[0] and B[0] are 0 already).
        Require(Hypervisor.MmuUpdate(0, [MmuUpdateRequest.Normal(Top, RaceSlot, L3Entry(T1))], out _));
        Hypervisor.Events.Reset();
    }

    /// <summary>The guest's top-level L3 (pt_base), in slot 0 of both vCPUs' compat L4s.</summary>
    public uint Top { get; }

    /// <summary>The L2 that Top[1] names at first.</summary>
    public uint T1 { get; }

    /// <summary>The L2 that vCPU 1 swaps in.</summary>
    public uint T2 { get; }

    /// <summary>T1's L1 (XTF's l1t1: written only through a stale linear map).</summary>
    public uint A { get; }

    /// <summary>T2's L1.</summary>
    public uint B { get; }

    /// <summary>The page the second update_va_mapping maps.</summary>
    public uint Data { get; }

    /// <summary>The rules of one of <see cref="Variants"/>, for <paramref name="scenario"/>'s error message.</summary>
    internal static XenRules RulesOf(string variant, string scenario) => variant switch
    {
        "current" => XenRules.Current,
        "relaxed-flush" => XenRules.RelaxedFlush,
        "4.8" => XenRules.Xen48,
        _ => throw new ArgumentException($"{scenario} runs under a Xen variant, one of {string.Join(", ", Variants)}; got '{variant}'"),
    };

    /// <summary>The hypervisor under one of <see cref="Variants"/>: a 32-bit guest, a Xen frame per compat L4.</summary>
    private static Hypervisor NewHypervisor(string variant) => new(new HypervisorConfig
    {
        Vcpus = 2,
        Pv32 = true,
        GuestFrames = 9,
        OtherFrames = 0,
        FreeFrames = 0,
        XenFrames = 3,
        Rules = RulesOf(variant, Name),
    });

    private static ulong L3Entry(uint l2) => PageFlags.Entry(l2, PageFlags.Present | PageFlags.Rw | PageFlags.Accessed | PageFlags.Dirty);

    protected override void StepB()
    {
        LastOutcome = "mmu_update " + Errno.Name(Hypervisor.MmuUpdate(1, [MmuUpdateRequest.Normal(Top, RaceSlot, L3Entry(T2))], out _));
        Step1 = 1;
    }

    protected override void StepA()
    {
        if (Step0 == 0)
        {
            LastOutcome = "update_va_mapping " + Errno.Name(Hypervisor.UpdateVaMapping(0, Va, 0, UvmFlags.Invlpg));
        }
        else
        {
            var expected = CurrentL1();
            var rc = Hypervisor.UpdateVaMapping(0, Va, PageFlags.Entry(Data, PageFlags.Present | PageFlags.Rw | PageFlags.Accessed | PageFlags.Dirty), UvmFlags.Invlpg);
            LastOutcome = "update_va_mapping " + Errno.Name(rc);
            var landed = PageFlags.Mfn(Hypervisor.Entry(A, 0)) == Data ? A : PageFlags.Mfn(Hypervisor.Entry(B, 0)) == Data ? B : 0u;
            if (rc == 0 && landed != expected)
            {
                Stale = $"{Name}: update_va_mapping wrote the PTE into L1 {Frame(landed)}, but the tables map {Va:x} through L1 {Frame(expected)} (Xen retained a stale linear page-table mapping)";
            }
        }

        Step0++;
    }

    /// <summary>The L1 that Top[1] → L2[0] names now (what a fresh walk would reach).</summary>
    private uint CurrentL1()
    {
        var l2 = PageFlags.Mfn(Hypervisor.Entry(Top, RaceSlot));
        return PageFlags.Mfn(Hypervisor.Entry(l2, 0));
    }

    public override string Describe(Move choice)
    {
        if (choice.Cpu == 1)
        {
            return $"mmu_update L3 {Frame(Top)}[{RaceSlot}] = L2 {Frame(T2)}";
        }

        return Step0 == 0
            ? $"update_va_mapping {Va:x} = 0, UVMF_INVLPG (loads Xen's linear map of its L2)"
            : $"update_va_mapping {Va:x} = frame {Frame(Data)}, UVMF_INVLPG";
    }
}
