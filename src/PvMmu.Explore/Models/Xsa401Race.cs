using System.Globalization;
using PvMmu.Scheduling;
using PvMmu.Xen;
using PvMmu.Xen.Abi;
using PvMmu.Xen.Domains;
using PvMmu.Xen.Frames;
using PvMmu.Xen.Types;

namespace PvMmu.Explore.Models;

/// <summary>
/// The XSA-401 race (docs/xen-rules.md#security-advisories), on the hypervisor model alone. One guest, two vCPUs on
/// the same kernel tables (KL4 → KL3 → KL2 → KL1, a direct map of every guest frame). Frame <see cref="Pg"/> was a
/// writable page and is mapped nowhere: type writable, count 0. vCPU 0 makes it an L1 with MMUEXT_PIN_L1_TABLE, its
/// _get_page_type split at the cmpxchg: one move reads type_info, the next does the cmpxchg and the rest of the
/// hypercall, or reads again if type_info changed. (Pinning, not an L2 entry: since XSA-286 an mmu_update that
/// changes an L2 entry flushes every dirty CPU when it ends, which would close the window the model can see; the
/// window inside that hypercall, before its final flush, is one the model's atomic hypercalls do not split.) vCPU 1 maps Pg writable (mmu_update of KL1), writes through the
/// mapping (its TLB caches it) and unmaps it, one move each. Under the current order the type change's flush comes
/// after the cmpxchg and empties vCPU 1's TLB; under <see cref="XenRules.PreXsa401"/> it came with the read, so
/// vCPU 1's three moves between the two leave a writable TLB entry to a live L1 (I8).
/// </summary>
public sealed class Xsa401Race : HypervisorRace
{
    /// <summary>The orderings <c>pvmmu check --scenario xsa-401 --xen</c> takes.</summary>
    public static IReadOnlyList<string> Orderings { get; } = ["current", "pre-xsa-401"];

    private const int DirectSlot = 273;
    private const int Frames = 8;
    private const ulong Written = 0x0000_0000_0123_4000UL; // a not-present PTE: valid in an L1 whatever else it says
    private readonly uint _kl1;

    // Beside the steps (vCPU 0: 0 read, 1 claim, 2 done; vCPU 1: 0 to 3): vCPU 0's read and its result.
    private TypeInfoRead _read;
    private long _aResult;

    public Xsa401Race(bool preFix)
        : base("xsa-401", NewHypervisor(preFix), 2, 3)
    {
        _kl1 = DirectMapBuilder.Build(Hypervisor, DirectSlot).L1;
        Pg = G(4);

        // Pg was a writable page: its direct-map entry goes, leaving type writable, count 0.
        Require(Hypervisor.MmuUpdate(0, [MmuUpdateRequest.Normal(_kl1, SlotOf(Pg), 0)], out _));
        Hypervisor.Events.Reset();
    }

    /// <summary>The frame the race is about.</summary>
    public uint Pg { get; }

    private static Hypervisor NewHypervisor(bool preFix) => new(new HypervisorConfig
    {
        Vcpus = 2,
        GuestFrames = Frames,
        OtherFrames = 0,
        FreeFrames = 0,
        XenFrames = 1,
        Rules = preFix ? XenRules.PreXsa401 : XenRules.Current,
    });

    protected override void StepA()
    {
        if (Step0 == 0)
        {
            _read = Hypervisor.ReadTypeInfo(0, Pg, PageType.L1);
            if (_read.Conflict)
            {
                _aResult = -Errno.EINVAL;
                Step0 = 2;
                LastOutcome = $"type_info {_read.Type} count {_read.Count}: in use, -EINVAL";
                return;
            }

            Step0 = 1;
            LastOutcome = $"type_info {_read.Type} count {_read.Count}";
            return;
        }

        var pg = Pg;
        var rc = Hypervisor.ClaimAfterRead(_read, h => h.MmuextOp(0, [MmuExtOpRequest.Pin(1, pg)], out _));
        if (rc is not { } done)
        {
            Step0 = 0;
            LastOutcome = "cmpxchg failed: type_info changed, read again";
            return;
        }

        _aResult = done;
        Step0 = 2;
        LastOutcome = "cmpxchg done, pin " + Errno.Name(done);
    }

    protected override void StepB()
    {
        var va = DirectVa(Pg);
        switch (Step1)
        {
            case 0:
                LastOutcome = "mmu_update " + Errno.Name(Hypervisor.MmuUpdate(1, [MmuUpdateRequest.Normal(_kl1, SlotOf(Pg), PageFlags.Entry(Pg, PageFlags.Present | PageFlags.Rw))], out _));
                break;
            case 1:
                LastOutcome = "store " + Hypervisor.Store(1, va, Written);
                break;
            default:
                LastOutcome = "mmu_update " + Errno.Name(Hypervisor.MmuUpdate(1, [MmuUpdateRequest.Normal(_kl1, SlotOf(Pg), 0)], out _));
                break;
        }

        Step1++;
    }

    public override string Describe(Move choice)
    {
        var pg = Pg.ToString(CultureInfo.InvariantCulture);
        return choice.Cpu == 0
            ? Step0 == 0 ? $"reads type_info of frame {pg} for L1" : $"cmpxchg frame {pg} to L1, pins it"
            : Step1 switch
            {
                0 => $"maps frame {pg} writable",
                1 => $"writes frame {pg} through it",
                _ => $"unmaps frame {pg}",
            };
    }

    protected override int OwnWords(Span<ulong> into)
    {
        (into[0], into[1], into[2], into[3]) = (_read.Count, (ulong)_read.Type, _read.Validated ? 1UL : 0UL, (ulong)_aResult);
        return 4;
    }

    protected override object? OwnSnapshot() => (_read, _aResult);

    protected override void OwnRestore(object? own) => (_read, _aResult) = ((TypeInfoRead, long))own!;

    private int SlotOf(uint mfn) => (int)(mfn - Hypervisor.FirstGuestFrame);

    private ulong DirectVa(uint mfn) => 0xFFFF_8000_0000_0000UL | ((ulong)DirectSlot << 39) | ((ulong)SlotOf(mfn) << 12);
}
