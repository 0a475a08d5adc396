using PvMmu.Events;
using PvMmu.Xen.Abi;
using PvMmu.Xen.Frames;
using static PvMmu.Xen.Scripts.XenScriptParser;

namespace PvMmu.Xen.Scripts;

/// <summary>The <c>expect</c> lines of a script: checks of frame, entry, TLB, CR3, event and invariant state.</summary>
internal static class Assertions
{
    private static StepResult Verdict(string what, string actual, bool held) =>
        held ? StepResult.Ok(what + ": " + actual) : StepResult.Failed($"{what}: {actual}  (FAILED)");

    public static Func<ScriptContext, StepResult> Invariants() => ctx =>
    {
        var errors = ctx.Checker.Check(ctx.Hypervisor);
        return errors.Count == 0
            ? StepResult.Ok("invariants hold")
            : StepResult.Failed("invariants broken:\n    " + string.Join("\n    ", errors));
    };

    public static Func<ScriptContext, StepResult> Crash(string kind) => ctx =>
    {
        var h = ctx.Hypervisor;
        var actual = h.HostCrash != null ? "host crash: " + h.HostCrash : h.DomainCrashed ? "domain crashed" : "no crash";
        var held = kind switch
        {
            "host-crash" => h.HostCrash != null,
            "domain-crashed" => h.DomainCrashed,
            _ => h.HostCrash == null && !h.DomainCrashed,
        };
        return Verdict(kind, actual, held);
    };

    /// <summary><c>expect FRAME type=l1 tc=1 gc=3 linear=0 owner=1 validated !pinned free</c>.</summary>
    public static Func<ScriptContext, StepResult> Frame(string[] w, Func<string, uint> checkName)
    {
        ValueSyntax.ParseFrame(w[0], checkName);
        var checks = new List<Func<PvMmu.Xen.Inspection.FrameInfo, bool>>();
        foreach (var word in w[1..])
        {
            var eq = word.IndexOf('=', StringComparison.Ordinal);
            if (eq > 0)
            {
                var key = word[..eq];
                var value = word[(eq + 1)..];
                switch (key)
                {
                    case "type":
                        var type = ParseType(value);
                        checks.Add(f => f.Type == type);
                        break;
                    case "tc":
                        var tc = ValueSyntax.ParseNumber(value);
                        checks.Add(f => f.TypeCount == tc);
                        break;
                    case "gc":
                        var gc = ValueSyntax.ParseNumber(value);
                        checks.Add(f => f.GeneralCount == gc);
                        break;
                    case "linear":
                        // A linear page-table count is a signed 16-bit field (Xen's linear_pt_count): out of its range
                        // no frame can match, so such a value is an error, not an overflow.
                        var lin = short.TryParse(value, System.Globalization.NumberStyles.AllowLeadingSign, System.Globalization.CultureInfo.InvariantCulture, out var l)
                            ? l
                            : throw new FormatException($"expected linear= a whole number from -32768 to 32767, got '{(value.Length > 40 ? value[..40] + "..." : value)}'");
                        checks.Add(f => f.LinearPtCount == lin);
                        break;
                    case "owner":
                        var owner = ValueSyntax.ParseNumber(value);
                        checks.Add(f => f.Owner == owner);
                        break;
                    default:
                        throw new FormatException($"expected type=, tc=, gc=, linear= or owner=, got '{word}'");
                }

                continue;
            }

            var negate = word.StartsWith('!');
            var flag = negate ? word[1..] : word;
            Func<PvMmu.Xen.Inspection.FrameInfo, bool> test = flag switch
            {
                "validated" => f => f.Validated,
                "pinned" => f => f.Pinned,
                "free" => f => f.Free,
                "allocated" => f => f.Allocated,
                _ => throw new FormatException($"expected validated, pinned, free or allocated (or their '!' forms), got '{word}'"),
            };
            checks.Add(negate ? f => !test(f) : test);
        }

        return ctx =>
        {
            var info = ctx.Hypervisor.Frame((uint)ValueSyntax.ParseFrame(w[0], ctx.Resolve));
            return Verdict(string.Join(' ', w), info.ToString(), checks.TrueForAll(c => c(info)));
        };
    }

    private static PageType ParseType(string s) => s.ToLowerInvariant() switch
    {
        "none" => PageType.None,
        "l1" => PageType.L1,
        "l2" => PageType.L2,
        "l3" => PageType.L3,
        "l4" => PageType.L4,
        "seg_desc" => PageType.SegDesc,
        "shared" => PageType.Shared,
        "writable" => PageType.Writable,
        _ => throw new FormatException($"expected a page type (none l1 l2 l3 l4 seg_desc shared writable), got '{s}'"),
    };

    /// <summary>
    /// <c>expect FRAME[SLOT] = ENTRY</c> (exactly), <c>expect FRAME[SLOT] != ENTRY</c> (anything else), or
    /// <c>expect FRAME[SLOT] maps FRAME2</c> (present, that frame; <c>!maps</c>: not that).
    /// </summary>
    public static Func<ScriptContext, StepResult> Entry((string Frame, int Slot) at, string op, string[] rest, Func<string, uint> checkName)
    {
        if (op is "maps" or "!maps")
        {
            if (rest.Length != 1)
            {
                throw new FormatException($"expected 'expect FRAME[SLOT] {op} FRAME'");
            }

            ValueSyntax.ParseFrame(rest[0], checkName);
        }
        else
        {
            ValueSyntax.ParseEntry(rest, checkName);
        }

        var what = $"{at.Frame}[{at.Slot}] {op} {string.Join(' ', rest)}";
        return ctx =>
        {
            var e = ctx.Hypervisor.Entry((uint)ValueSyntax.ParseFrame(at.Frame, ctx.Resolve), at.Slot);
            var held = op is "maps" or "!maps"
                ? PageFlags.IsPresent(e) && PageFlags.FrameNumber(e) == ValueSyntax.ParseFrame(rest[0], ctx.Resolve)
                : e == ValueSyntax.ParseEntry(rest, ctx.Resolve);
            return Verdict(what, PageFlags.Format(e), op.StartsWith('!') ? !held : held);
        };
    }

    /// <summary><c>expect tlb vN VA = FRAME [rw|ro]</c> or <c>expect tlb vN VA none</c>.</summary>
    public static Func<ScriptContext, StepResult> Tlb(string[] w, HypervisorConfig config, Func<string, uint> checkName)
    {
        if (w.Length < 3 || !w[0].StartsWith('v'))
        {
            throw new FormatException("expected 'expect tlb vN VA = FRAME [rw|ro]' or 'expect tlb vN VA none'");
        }

        var v = ValueSyntax.ParseInt(w[0][1..], 0, config.Vcpus - 1, "a vCPU number");
        var va = ValueSyntax.ParseVa(w[1]);
        bool? rw = null;
        string? frame = null;
        if (w[2] == "none")
        {
            if (w.Length != 3)
            {
                throw new FormatException("nothing may follow 'none'");
            }
        }
        else if (w[2] == "=" && w.Length is 4 or 5)
        {
            frame = w[3];
            ValueSyntax.ParseFrame(frame, checkName);
            if (w.Length == 5)
            {
                rw = w[4] switch
                {
                    "rw" => true,
                    "ro" => false,
                    _ => throw new FormatException($"expected rw or ro, got '{w[4]}'"),
                };
            }
        }
        else
        {
            throw new FormatException("expected 'expect tlb vN VA = FRAME [rw|ro]' or 'expect tlb vN VA none'");
        }

        return ctx =>
        {
            var e = ctx.Hypervisor.TlbLookup(v, va);
            var actual = e is { } t ? $"{ctx.NameOf(t.Mfn)} {(t.Writable ? "rw" : "ro")}{(t.Global ? " global" : string.Empty)}" : "none";
            var held = frame == null
                ? e == null
                : e is { } x && x.Mfn == ValueSyntax.ParseFrame(frame, ctx.Resolve) && (rw == null || x.Writable == rw);
            return Verdict("tlb " + string.Join(' ', w), actual, held);
        };
    }

    /// <summary><c>expect cr3 vN = FRAME|0</c>, <c>expect user-cr3 vN = FRAME|0</c>.</summary>
    public static Func<ScriptContext, StepResult> Cr3(string[] w, HypervisorConfig config, Func<string, uint> checkName)
    {
        if (w.Length != 4 || w[2] != "=" || !w[1].StartsWith('v'))
        {
            throw new FormatException($"expected 'expect {w[0]} vN = FRAME' (or 0)");
        }

        var v = ValueSyntax.ParseInt(w[1][1..], 0, config.Vcpus - 1, "a vCPU number");
        if (w[3] != "0")
        {
            ValueSyntax.ParseFrame(w[3], checkName);
        }

        var user = w[0] == "user-cr3";
        return ctx =>
        {
            var info = ctx.Hypervisor.Vcpu(v);
            var actual = user ? info.GuestTableUser : info.GuestTable;
            var want = w[3] == "0" ? 0UL : ValueSyntax.ParseFrame(w[3], ctx.Resolve);
            return Verdict(string.Join(' ', w), actual == 0 ? "0" : ctx.NameOf(actual), actual == want);
        };
    }

    /// <summary>
    /// <c>expect m2p FRAME = GPFN</c> or <c>expect m2p FRAME != GPFN</c>: machine_to_phys_mapping[FRAME], which only
    /// MMU_MACHPHYS_UPDATE writes in the model (0 before it).
    /// </summary>
    public static Func<ScriptContext, StepResult> M2p(string[] w, Func<string, uint> checkMachineFrame)
    {
        if (w.Length != 3 || w[1] is not ("=" or "!="))
        {
            throw new FormatException("expected 'expect m2p FRAME = GPFN' or 'expect m2p FRAME != GPFN'");
        }

        ValueSyntax.ParseFrame(w[0], checkMachineFrame);
        var gpfn = ValueSyntax.ParseNumber(w[2]);
        var equal = w[1] == "=";
        return ctx =>
        {
            var actual = ctx.Hypervisor.MachineToPhys((uint)ValueSyntax.ParseFrame(w[0], ctx.Resolve));
            return Verdict("m2p " + string.Join(' ', w), "0x" + actual.ToString("x", System.Globalization.CultureInfo.InvariantCulture), (actual == gpfn) == equal);
        };
    }

    /// <summary><c>expect mode vN kernel|user</c>.</summary>
    public static Func<ScriptContext, StepResult> Mode(string[] w, HypervisorConfig config)
    {
        if (w.Length != 2 || !w[0].StartsWith('v') || w[1] is not ("kernel" or "user"))
        {
            throw new FormatException("expected 'expect mode vN kernel|user'");
        }

        var v = ValueSyntax.ParseInt(w[0][1..], 0, config.Vcpus - 1, "a vCPU number");
        return ctx =>
        {
            var kernel = ctx.Hypervisor.Vcpu(v).KernelMode;
            return Verdict("mode " + string.Join(' ', w), kernel ? "kernel" : "user", kernel == (w[1] == "kernel"));
        };
    }

    /// <summary><c>expect events [vN] NAME=COUNT ...</c>: totals over all vCPUs, or one vCPU's.</summary>
    public static Func<ScriptContext, StepResult> Events(string[] w, HypervisorConfig config)
    {
        var vcpu = -1;
        var items = w;
        if (items.Length > 0 && items[0].StartsWith('v') && !items[0].Contains('=', StringComparison.Ordinal))
        {
            vcpu = ValueSyntax.ParseInt(items[0][1..], 0, config.Vcpus - 1, "a vCPU number");
            items = items[1..];
        }

        if (items.Length == 0)
        {
            throw new FormatException("expected 'expect events [vN] NAME=COUNT ...'");
        }

        var wanted = new List<(EventKind Event, long Count)>();
        foreach (var item in items)
        {
            var eq = item.IndexOf('=', StringComparison.Ordinal);
            if (eq <= 0)
            {
                throw new FormatException($"expected NAME=COUNT, got '{item}'");
            }

            var name = item[..eq];
            var ev = EventKinds.Xen.FirstOrDefault(e => StatementParser.EventName(e) == name, (EventKind)(-1));
            if ((int)ev < 0)
            {
                throw new FormatException($"expected an event name ({string.Join(' ', EventKinds.Xen.Select(StatementParser.EventName))}), got '{name}'");
            }

            wanted.Add((ev, (long)ValueSyntax.ParseNumber(item[(eq + 1)..])));
        }

        return ctx =>
        {
            var ev = ctx.Hypervisor.Events;
            var actual = wanted.Select(x => (x.Event, Count: vcpu < 0 ? ev.Total(x.Event) : ev.ForVcpu(vcpu, x.Event))).ToList();
            var text = string.Join(' ', actual.Select(a => $"{StatementParser.EventName(a.Event)}={Num(a.Count)}"));
            return Verdict("events" + (vcpu >= 0 ? " v" + Num(vcpu) : string.Empty), text, actual.Zip(wanted).All(p => p.First.Count == p.Second.Count));
        };
    }
}
