using System.Globalization;
using System.IO.Hashing;
using PvMmu.Linux.Sched;
using PvMmu.Xen;
using PvMmu.Xen.Abi;
using PvMmu.Xen.Domains;
using PvMmu.Xen.Invariants;

namespace PvMmu.Explore.Models;

/// <summary>
/// XSA-286 as a race of two vCPUs on the hypervisor model alone: the XTF test xsa-286 (an update_va_mapping that
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
/// </summary>
public sealed class Xsa286Race : IExplorable
{
    /// <summary>The Xen variants <c>pvmmu check --scenario xsa-286 --xen</c> takes.</summary>
    public static IReadOnlyList<string> Variants { get; } = ["current", "relaxed-flush", "4.8"];

    private const int DirectSlot = 273;
    private const int HookSlot = 1;
    private const ulong Va = (ulong)HookSlot << 39;
    private readonly Hypervisor _h;
    private readonly InvariantChecker _xen = new();
    private readonly uint _kl4;
    private readonly uint _kl1;

    // vCPU 0's step (0 hook, 1 first update_va_mapping, 2 second, 3 unhook, 4 done); vCPU 1's (0 swap, 1 done).
    private int _a;
    private int _b;
    private string? _stale;

    /// <summary>A fresh scenario under one of <see cref="Variants"/>.</summary>
    public Xsa286Race(string variant)
    {
        var rules = variant switch
        {
            "current" => XenRules.Current,
            "relaxed-flush" => XenRules.RelaxedFlush,
            "4.8" => XenRules.Xen48,
            _ => throw new ArgumentException($"xsa-286 runs under a Xen variant, one of {string.Join(", ", Variants)}; got '{variant}'"),
        };
        _h = new Hypervisor(new HypervisorConfig
        {
            Vcpus = 2,
            GuestFrames = 11,
            OtherFrames = 0,
            FreeFrames = 0,
            XenFrames = 1,
            Rules = rules,
        });
        (_kl4, _, _, _kl1) = DirectMapBuilder.Build(_h, DirectSlot);
        X = G(4);
        T1 = G(5);
        T2 = G(6);
        A = G(7);
        B = G(8);
        Data = G(10);

        // The test's tables lose their writable direct-map entries (XTF remaps them read-only) before they are typed.
        for (var i = 4; i <= 8; i++)
        {
            Require(_h.MmuUpdate(0, [MmuUpdateRequest.Normal(_kl1, i, 0)], out _));
        }

        _h.BuilderWrite(T1, 0, PageFlags.Entry(A, PageFlags.Present | PageFlags.Rw));
        _h.BuilderWrite(T2, 0, PageFlags.Entry(B, PageFlags.Present | PageFlags.Rw));
        _h.BuilderWrite(X, 0, PageFlags.Entry(T1, PageFlags.Present | PageFlags.Rw));
        Require(_h.MmuextOp(0, [MmuExtOpRequest.Pin(2, T1), MmuExtOpRequest.Pin(2, T2), MmuExtOpRequest.Pin(3, X)], out _));
        _h.Events.Reset();
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

    public Hypervisor Hypervisor => _h;

    public bool Done => _a == 4 && _b == 1;

    public ReadOnlySpan<Choice> Enabled() => (_a < 4, _b < 1) switch
    {
        (true, true) => Both,
        (true, false) => OnlyA,
        (false, true) => OnlyB,
        _ => [],
    };

    private static readonly Choice[] Both = [new(0, ChoiceKind.Step), new(1, ChoiceKind.Step)];
    private static readonly Choice[] OnlyA = [new(0, ChoiceKind.Step)];
    private static readonly Choice[] OnlyB = [new(1, ChoiceKind.Step)];

    public string LastOutcome { get; private set; } = string.Empty;

    public void Apply(Choice choice)
    {
        if (choice.Cpu == 0)
        {
            StepA();
        }
        else
        {
            LastOutcome = "mmu_update " + Errno.Name(_h.MmuUpdate(1, [MmuUpdateRequest.Normal(X, 0, PageFlags.Entry(T2, PageFlags.Present | PageFlags.Rw))], out _));
            _b = 1;
        }
    }

    private void StepA()
    {
        switch (_a)
        {
            case 0:
                LastOutcome = "mmu_update " + Errno.Name(_h.MmuUpdate(0, [MmuUpdateRequest.Normal(_kl4, HookSlot, PageFlags.Entry(X, PageFlags.Present | PageFlags.Rw))], out _));
                break;
            case 1:
                LastOutcome = "update_va_mapping " + Errno.Name(_h.UpdateVaMapping(0, Va, 0, UvmFlags.Invlpg | UvmFlags.Local));
                break;
            case 2:
                var expected = CurrentL1();
                var rc = _h.UpdateVaMapping(0, Va, PageFlags.Entry(Data, PageFlags.Present | PageFlags.Rw), UvmFlags.Invlpg | UvmFlags.Local);
                LastOutcome = "update_va_mapping " + Errno.Name(rc);
                var landed = PageFlags.Mfn(_h.Entry(A, 0)) == Data ? A : PageFlags.Mfn(_h.Entry(B, 0)) == Data ? B : 0u;
                if (rc == 0 && landed != expected)
                {
                    _stale = $"xsa-286: update_va_mapping wrote the PTE into L1 {Frame(landed)}, but the tables map {Va:x} through L1 {Frame(expected)} (stale linear page-table translation)";
                }

                break;
            default:
                LastOutcome = "mmu_update " + Errno.Name(_h.MmuUpdate(0, [MmuUpdateRequest.Normal(_kl4, HookSlot, 0)], out _));
                break;
        }

        _a++;
    }

    /// <summary>The L1 that KL4[1] → X → X[0] → L2[0] names now (what a fresh walk would reach).</summary>
    private uint CurrentL1()
    {
        var l2 = PageFlags.Mfn(_h.Entry(X, 0));
        return PageFlags.Mfn(_h.Entry(l2, 0));
    }

    public string Describe(Choice choice)
    {
        if (choice.Cpu == 1)
        {
            return $"mmu_update L3 {Frame(X)}[0] = L2 {Frame(T2)}";
        }

        return _a switch
        {
            0 => $"hooks L3 {Frame(X)} at its L4[{HookSlot}]",
            1 => $"update_va_mapping {Va:x} = 0 (loads Xen's linear map of its L2)",
            2 => $"update_va_mapping {Va:x} = frame {Frame(Data)}",
            _ => $"unhooks L3 {Frame(X)}",
        };
    }

    public ulong Fingerprint()
    {
        Span<ulong> parts = [_h.Fingerprint(), (ulong)_a, (ulong)_b, _stale == null ? 0UL : 1UL];
        return XxHash3.HashToUInt64(System.Runtime.InteropServices.MemoryMarshal.AsBytes(parts));
    }

    public object Snapshot() => (_h.Snapshot(), _a, _b, _stale);

    public void Restore(object snapshot)
    {
        var (h, a, b, stale) = ((HypervisorSnapshot, int, int, string?))snapshot;
        _h.Restore(h);
        (_a, _b, _stale) = (a, b, stale);
    }

    public string? StateViolation()
    {
        if (_stale != null)
        {
            return _stale;
        }

        var errors = _xen.Check(_h);
        return errors.Count > 0 ? "xen: " + string.Join("; ", errors) : null;
    }

    public string? EndViolation(out ulong settled)
    {
        settled = Fingerprint();
        return null;
    }

    private uint G(int i) => _h.FirstGuestFrame + (uint)i;

    private static string Frame(uint mfn) => mfn.ToString(CultureInfo.InvariantCulture);

    private static void Require(long rc)
    {
        if (rc != 0)
        {
            throw new InvalidOperationException($"xsa-286 scenario setup failed: {Errno.Name(rc)}");
        }
    }
}
