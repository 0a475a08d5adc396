using PvMmu.Scheduling;
using PvMmu.Xen;
using PvMmu.Xen.Abi;
using PvMmu.Xen.Domains;

namespace PvMmu.Explore.Models;

/// <summary>
/// XSA-286 on a 64-bit guest (scenario <c>xsa-286-pv64</c>) as a race of two vCPUs on the hypervisor model alone: the
/// XTF test xsa-286 (an update_va_mapping that
/// loads Xen's linear page-table translation, an L3 entry swapped under it, a second update_va_mapping through the
/// same linear address), with the swap on the other vCPU and the L3 a pinned table that vCPU 0 hooks into its L4
/// only for the duration. Both vCPUs run on the kernel tables (KL4 → KL3 → KL2 → KL1, a direct map). Frame X is a
/// pinned L3 with X[0] = T1; T1 and T2 are pinned L2s whose slot 0 names L1 frames A and B. While X hangs nowhere it
/// is "free floating" (type count = its pin), the table whose updates Xen edcfce5591 stopped flushing for.
/// <para>
/// vCPU 0: hooks X at KL4[1]; update_va_mapping(va, 0) (Xen's linear map of va's L2 is cached); update_va_mapping(va,
/// data) (the PTE goes into the L1 that the cached linear map reaches); unhooks X. vCPU 1: mmu_update X[0] = T2, at
/// any point. The property: the second update_va_mapping writes the L1 that the tables name at that moment
/// (KL4[1] → X → X[0] → L2[0]); writing another one is the stale linear translation (XTF: "Xen retained stale linear
/// pt mapping"). The I1–I8 invariants are checked too.
/// </para>
/// <para>
/// Under <c>relaxed-flush</c> no schedule loses: on a 64-bit guest every path Xen's linear map can take into X holds
/// a type reference, so X is never free floating while it matters, and bed7e6cad3 is for 32-bit domains only. The
/// 32-bit race that does lose is <see cref="Xsa286Race"/>.
/// </para>
/// </summary>
public sealed class Xsa286Pv64Race : StaleWriteRace
{
    /// <summary>The scenario's name.</summary>
    public const string Name = "xsa-286-pv64";

    private const int DirectSlot = 273;
    private const int HookSlot = 1;
    private const ulong Va = (ulong)HookSlot << 39;
    private readonly uint _kl4;
    private readonly uint _kl1;

    // The steps: vCPU 0: 0 hook, 1 first update_va_mapping, 2 second, 3 unhook, 4 done; vCPU 1: 0 swap, 1 done.
    // Stale: the write the second update_va_mapping made through a stale translation, if it made one.

    /// <summary>A fresh scenario under one of <see cref="Xsa286Race.Variants"/>.</summary>
    public Xsa286Pv64Race(string variant)
        : base(Name, NewHypervisor(variant), 4, 1)
    {
        (_kl4, _, _, _kl1) = DirectMapBuilder.Build(Hypervisor, DirectSlot);
        X = G(4);
        T1 = G(5);
        T2 = G(6);
        A = G(7);
        B = G(8);
        Data = G(10);

        // The test's tables lose their writable direct-map entries (XTF remaps them read-only) before they are typed.
        for (var i = 4; i <= 8; i++)
        {
            Require(Hypervisor.MmuUpdate(0, [MmuUpdateRequest.Normal(_kl1, i, 0)], out _));
        }

        Hypervisor.BuilderWrite(T1, 0, PageFlags.Entry(A, PageFlags.Present | PageFlags.Rw));
        Hypervisor.BuilderWrite(T2, 0, PageFlags.Entry(B, PageFlags.Present | PageFlags.Rw));
        Hypervisor.BuilderWrite(X, 0, PageFlags.Entry(T1, PageFlags.Present | PageFlags.Rw));
        Require(Hypervisor.MmuextOp(0, [MmuExtOpRequest.Pin(2, T1), MmuExtOpRequest.Pin(2, T2), MmuExtOpRequest.Pin(3, X)], out _));
        Hypervisor.Events.Reset();
    }

    /// <summary>The pinned L3 that vCPU 0 hooks and vCPU 1 edits.</summary>
    public uint X { get; }

    /// <summary>The L2 that X[0] names at first.</summary>
    public uint T1 { get; }

    /// <summary>The L2 that vCPU 1 swaps in.</summary>
    public uint T2 { get; }

    /// <summary>T1's L1.</summary>
    public uint A { get; }

    /// <summary>T2's L1.</summary>
    public uint B { get; }

    /// <summary>The page the second update_va_mapping maps.</summary>
    public uint Data { get; }

    /// <summary>The hypervisor under one of <see cref="Xsa286Race.Variants"/>.</summary>
    private static Hypervisor NewHypervisor(string variant) => new(new HypervisorConfig
    {
        Vcpus = 2,
        GuestFrames = 11,
        OtherFrames = 0,
        FreeFrames = 0,
        XenFrames = 1,
        Rules = Xsa286Race.RulesOf(variant, Name),
    });

    protected override void StepB()
    {
        LastOutcome = "mmu_update " + Errno.Name(Hypervisor.MmuUpdate(1, [MmuUpdateRequest.Normal(X, 0, PageFlags.Entry(T2, PageFlags.Present | PageFlags.Rw))], out _));
        Step1 = 1;
    }

    protected override void StepA()
    {
        switch (Step0)
        {
            case 0:
                LastOutcome = "mmu_update " + Errno.Name(Hypervisor.MmuUpdate(0, [MmuUpdateRequest.Normal(_kl4, HookSlot, PageFlags.Entry(X, PageFlags.Present | PageFlags.Rw))], out _));
                break;
            case 1:
                LastOutcome = "update_va_mapping " + Errno.Name(Hypervisor.UpdateVaMapping(0, Va, 0, UvmFlags.Invlpg | UvmFlags.Local));
                break;
            case 2:
                var expected = CurrentL1();
                var rc = Hypervisor.UpdateVaMapping(0, Va, PageFlags.Entry(Data, PageFlags.Present | PageFlags.Rw), UvmFlags.Invlpg | UvmFlags.Local);
                LastOutcome = "update_va_mapping " + Errno.Name(rc);
                var landed = PageFlags.Mfn(Hypervisor.Entry(A, 0)) == Data ? A : PageFlags.Mfn(Hypervisor.Entry(B, 0)) == Data ? B : 0u;
                if (rc == 0 && landed != expected)
                {
                    Stale = $"{Name}: update_va_mapping wrote the PTE into L1 {Frame(landed)}, but the tables map {Va:x} through L1 {Frame(expected)} (stale linear page-table translation)";
                }

                break;
            default:
                LastOutcome = "mmu_update " + Errno.Name(Hypervisor.MmuUpdate(0, [MmuUpdateRequest.Normal(_kl4, HookSlot, 0)], out _));
                break;
        }

        Step0++;
    }

    /// <summary>The L1 that KL4[1] → X → X[0] → L2[0] names now (what a fresh walk would reach).</summary>
    private uint CurrentL1()
    {
        var l2 = PageFlags.Mfn(Hypervisor.Entry(X, 0));
        return PageFlags.Mfn(Hypervisor.Entry(l2, 0));
    }

    public override string Describe(Move choice)
    {
        if (choice.Cpu == 1)
        {
            return $"mmu_update L3 {Frame(X)}[0] = L2 {Frame(T2)}";
        }

        return Step0 switch
        {
            0 => $"hooks L3 {Frame(X)} at its L4[{HookSlot}]",
            1 => $"update_va_mapping {Va:x} = 0 (loads Xen's linear map of its L2)",
            2 => $"update_va_mapping {Va:x} = frame {Frame(Data)}",
            _ => $"unhooks L3 {Frame(X)}",
        };
    }
}
