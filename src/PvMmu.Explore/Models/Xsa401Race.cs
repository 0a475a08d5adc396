using System.Globalization;
using System.IO.Hashing;
using PvMmu.Linux.Sched;
using PvMmu.Xen;
using PvMmu.Xen.Abi;
using PvMmu.Xen.Domains;
using PvMmu.Xen.Frames;
using PvMmu.Xen.Invariants;
using PvMmu.Xen.Types;

namespace PvMmu.Explore.Models;

/// <summary>
/// The XSA-401 race (spec xen-pv-mmu §6), on the hypervisor model alone. One guest, two vCPUs on the same kernel
/// tables (KL4 → KL3 → KL2 → KL1, a direct map of every guest frame). Frame <see cref="Pg"/> was a writable page
/// and is mapped nowhere: type writable, count 0. vCPU 0 makes it an L1 with MMUEXT_PIN_L1_TABLE, its
/// _get_page_type split at the cmpxchg: one move reads type_info, the next does the cmpxchg and the rest of the
/// hypercall, or reads again if type_info changed. (Pinning, not an L2 entry: since XSA-286 an mmu_update that
/// changes an L2 entry flushes every dirty CPU when it ends, which would close the window the model can see; the
/// window inside that hypercall, before its final flush, is one the model's atomic hypercalls do not split.) vCPU 1 maps Pg writable (mmu_update of KL1), writes through the
/// mapping (its TLB caches it) and unmaps it, one move each. Under the current order the type change's flush comes
/// after the cmpxchg and empties vCPU 1's TLB; under <see cref="XenRules.PreXsa401"/> it came with the read, so
/// vCPU 1's three moves between the two leave a writable TLB entry to a live L1 (I8).
/// </summary>
public sealed class Xsa401Race : IExplorable
{
    /// <summary>The orderings <c>pvmmu check --scenario xsa-401 --xen</c> takes.</summary>
    public static IReadOnlyList<string> Orderings { get; } = ["current", "pre-xsa-401"];

    private const int DirectSlot = 273;
    private const int Frames = 8;
    private const ulong Written = 0x0000_0000_0123_4000UL; // a not-present PTE: valid in an L1 whatever else it says
    private readonly Hypervisor _h;
    private readonly InvariantChecker _xen = new();
    private readonly uint _kl1;

    // The programs' state: vCPU 0's step (0 read, 1 claim, 2 done) and its read; vCPU 1's step (0 to 3).
    private int _a;
    private int _b;
    private TypeInfoRead _read;
    private long _aResult;

    public Xsa401Race(bool preFix)
    {
        _h = new Hypervisor(new HypervisorConfig
        {
            Vcpus = 2,
            GuestFrames = Frames,
            OtherFrames = 0,
            FreeFrames = 0,
            XenFrames = 1,
            Rules = preFix ? XenRules.PreXsa401 : XenRules.Current,
        });
        _kl1 = DirectMapBuilder.Build(_h, DirectSlot).L1;
        Pg = G(4);

        // Pg was a writable page: its direct-map entry goes, leaving type writable, count 0.
        Require(_h.MmuUpdate(0, [MmuUpdateRequest.Normal(_kl1, SlotOf(Pg), 0)], out _));
        _h.Events.Reset();
    }

    /// <summary>The frame the race is about.</summary>
    public uint Pg { get; }

    public Hypervisor Hypervisor => _h;

    public bool Done => _a == 2 && _b == 3;

    public ReadOnlySpan<Choice> Enabled() => (_a < 2, _b < 3) switch
    {
        (true, true) => Both,
        (true, false) => OnlyA,
        (false, true) => OnlyB,
        _ => [],
    };

    private static readonly Choice[] Both = [new(0, ChoiceKind.Step), new(1, ChoiceKind.Step)];
    private static readonly Choice[] OnlyA = [new(0, ChoiceKind.Step)];
    private static readonly Choice[] OnlyB = [new(1, ChoiceKind.Step)];

    /// <summary>What the last move did, for a timeline.</summary>
    public string LastOutcome { get; private set; } = string.Empty;

    public void Apply(Choice choice)
    {
        if (choice.Cpu == 0)
        {
            StepA();
        }
        else
        {
            StepB();
        }
    }

    private void StepA()
    {
        if (_a == 0)
        {
            _read = _h.ReadTypeInfo(0, Pg, PageType.L1);
            if (_read.Conflict)
            {
                _aResult = -Errno.EINVAL;
                _a = 2;
                LastOutcome = $"type_info {_read.Type} count {_read.Count}: in use, -EINVAL";
                return;
            }

            _a = 1;
            LastOutcome = $"type_info {_read.Type} count {_read.Count}";
            return;
        }

        var pg = Pg;
        var rc = _h.ClaimAfterRead(_read, h => h.MmuextOp(0, [MmuExtOpRequest.Pin(1, pg)], out _));
        if (rc is not { } done)
        {
            _a = 0;
            LastOutcome = "cmpxchg failed: type_info changed, read again";
            return;
        }

        _aResult = done;
        _a = 2;
        LastOutcome = "cmpxchg done, pin " + Errno.Name(done);
    }

    private void StepB()
    {
        var va = DirectVa(Pg);
        switch (_b)
        {
            case 0:
                LastOutcome = "mmu_update " + Errno.Name(_h.MmuUpdate(1, [MmuUpdateRequest.Normal(_kl1, SlotOf(Pg), PageFlags.Entry(Pg, PageFlags.Present | PageFlags.Rw))], out _));
                break;
            case 1:
                LastOutcome = "store " + _h.Store(1, va, Written);
                break;
            default:
                LastOutcome = "mmu_update " + Errno.Name(_h.MmuUpdate(1, [MmuUpdateRequest.Normal(_kl1, SlotOf(Pg), 0)], out _));
                break;
        }

        _b++;
    }

    public string Describe(Choice choice)
    {
        var pg = Pg.ToString(CultureInfo.InvariantCulture);
        return choice.Cpu == 0
            ? _a == 0 ? $"reads type_info of frame {pg} for L1" : $"cmpxchg frame {pg} to L1, pins it"
            : _b switch
            {
                0 => $"maps frame {pg} writable",
                1 => $"writes frame {pg} through it",
                _ => $"unmaps frame {pg}",
            };
    }

    public ulong Fingerprint()
    {
        Span<ulong> parts = [_h.Fingerprint(), (ulong)_a, (ulong)_b, _read.Count, (ulong)_read.Type, _read.Validated ? 1UL : 0UL, (ulong)_aResult];
        return XxHash3.HashToUInt64(System.Runtime.InteropServices.MemoryMarshal.AsBytes(parts));
    }

    public object Snapshot() => (_h.Snapshot(), _a, _b, _read, _aResult);

    public void Restore(object snapshot)
    {
        var (h, a, b, read, result) = ((HypervisorSnapshot, int, int, TypeInfoRead, long))snapshot;
        _h.Restore(h);
        (_a, _b, _read, _aResult) = (a, b, read, result);
    }

    public string? StateViolation()
    {
        var errors = _xen.Check(_h);
        return errors.Count > 0 ? "xen: " + string.Join("; ", errors) : null;
    }

    public string? EndViolation(out ulong settled)
    {
        settled = Fingerprint();
        return null;
    }

    private uint G(int i) => _h.FirstGuestFrame + (uint)i;

    private int SlotOf(uint mfn) => (int)(mfn - _h.FirstGuestFrame);

    private ulong DirectVa(uint mfn) => 0xFFFF_8000_0000_0000UL | ((ulong)DirectSlot << 39) | ((ulong)SlotOf(mfn) << 12);

    private static void Require(long rc)
    {
        if (rc != 0)
        {
            throw new InvalidOperationException($"xsa-401 scenario setup failed: {Errno.Name(rc)}");
        }
    }
}
