using System.Text.RegularExpressions;
using PvMmu.Xen.Abi;
using PvMmu.Xen.Access;
using PvMmu.Xen.Events;
using static PvMmu.Xen.Scripts.XenScriptParser;

namespace PvMmu.Xen.Scripts;

/// <summary>
/// Turns one script line (or a multicall block) into a runnable statement. Names are checked now and resolved
/// when the statement runs, since populate_physmap can bind a name on the way.
/// </summary>
internal sealed partial class StatementParser(string file, Dictionary<string, uint> names, HypervisorConfig config)
{
    private static readonly HashSet<string> UvmKeywords = ["none", "tlb_flush", "invlpg", "local", "all"];

    [GeneratedRegex("^v([0-9]+)$")]
    private static partial Regex VcpuPrefix();

    [GeneratedRegex(@"^([A-Za-z][A-Za-z0-9_]*|mfn:[0-9a-fA-Fx]+)\[([0-9a-fA-Fx]+)\]$")]
    private static partial Regex SlotRef();

    public ScriptStatement Parse(int line, string body, List<(int Line, string Text)> block)
    {
        try
        {
            var arrow = body.IndexOf("->", StringComparison.Ordinal);
            var opText = arrow >= 0 ? body[..arrow].Trim() : body;
            var expect = arrow >= 0 ? Expectation.Parse(body[(arrow + 2)..]) : Expectation.None;
            var words = Words(opText);
            if (words.Length == 0)
            {
                throw new FormatException("expected an operation before '->'");
            }

            var vcpu = 0;
            var m = VcpuPrefix().Match(words[0]);
            if (m.Success)
            {
                vcpu = ValueSyntax.ParseInt(m.Groups[1].Value, 0, config.Vcpus - 1, "a vCPU number");
                words = words[1..];
                if (words.Length == 0)
                {
                    throw new FormatException("expected an operation after the vCPU");
                }
            }

            var rest = words[1..];
            return words[0] switch
            {
                "expect" => new(line, body, true, ParseAssertion(rest, arrow >= 0)),
                "init" => Op(line, body, ParseInit(rest), expect, NoOutcome),
                "mmu_update" => Op(line, body, ParseMmuUpdate(vcpu, rest), expect, CheckRcDone),
                "mmuext" => Op(line, body, ParseMmuext(vcpu, rest), expect, CheckRcDone),
                "update_va_mapping" => Op(line, body, ParseUvm(vcpu, rest), expect, CheckRc),
                "multicall" => ParseMulticall(line, body, vcpu, block),
                "vcpu_initialise" => Op(line, body, ParseVcpuInitialise(vcpu, rest), expect, CheckRc),
                "iret" => Op(line, body, ctx => ErrnoText(ctx.Hypervisor.Iret(vcpu)), expect, CheckRc),
                "syscall" => Op(line, body, ctx => { ctx.Hypervisor.EnterKernel(vcpu); return "kernel mode"; }, expect, NoOutcome),
                "store" => Op(line, body, ParseStore(vcpu, rest, StoreKind.Store), expect, CheckWord),
                "store4" => Op(line, body, ParseStore(vcpu, rest, StoreKind.Store4), expect, CheckWord),
                "xchg" => Op(line, body, ParseStore(vcpu, rest, StoreKind.Xchg), expect, CheckWord),
                "load" => Op(line, body, ParseLoad(vcpu, rest), expect, CheckEntry),
                "decrease_reservation" => Op(line, body, ParseDecrease(vcpu, rest), expect, CheckRc),
                "populate_physmap" => Op(line, body, ParsePopulate(vcpu, rest), expect, CheckWord),
                "reset-events" => Op(line, body, ctx => { ctx.Hypervisor.Events.Reset(); return "events reset"; }, expect, NoOutcome),
                _ => throw new FormatException($"expected an operation (mmu_update, mmuext, update_va_mapping, multicall, store, store4, xchg, load, iret, syscall, vcpu_initialise, decrease_reservation, populate_physmap, init, reset-events) or 'expect', got '{words[0]}'"),
            };
        }
        catch (FormatException e)
        {
            throw new ScriptException(file, line, e.Message);
        }
    }

    // ---- Outcomes --------------------------------------------------------------------------------------------

    /// <summary>Checks an outcome against the expected text; null when it holds, else the reason.</summary>
    private delegate string? OutcomeCheck(string actual, string expected, ScriptContext ctx);

    private ScriptStatement Op(int line, string text, Func<ScriptContext, string> run, Expectation expect, OutcomeCheck check)
    {
        foreach (var e in expect.All())
        {
            ValidateOutcome(e, check);
        }

        return new ScriptStatement(line, text, false, ctx =>
        {
            var actual = run(ctx);
            var expected = expect.For(ctx.Hypervisor.Rules.Version);
            if (expected == null)
            {
                return StepResult.Ok(actual);
            }

            var why = check(actual, expected, ctx);
            return why == null ? StepResult.Ok(actual) : StepResult.Failed($"{actual}  (expected {expected}{(why.Length > 0 ? ": " + why : string.Empty)})");
        });
    }

    private void ValidateOutcome(string expected, OutcomeCheck check)
    {
        if (check == CheckRc || check == CheckRcDone)
        {
            var w = Words(expected);
            ValueSyntax.ParseResult(w[0]);
            if (w.Length > 1 && (check != CheckRcDone || w.Length > 2 || !w[1].StartsWith("done=", StringComparison.Ordinal)))
            {
                throw new FormatException($"expected a result (and for a batch, done=N), got '{expected}'");
            }

            if (w.Length == 2)
            {
                ValueSyntax.ParseNumber(w[1][5..]);
            }
        }
        else if (check == CheckEntry && expected != "fault")
        {
            ValueSyntax.ParseEntry(Words(expected), CheckName);
        }
        else if (check == NoOutcome)
        {
            throw new FormatException("this operation has no outcome to expect");
        }
    }

    private static string? NoOutcome(string actual, string expected, ScriptContext ctx) => null;

    private static string? CheckRc(string actual, string expected, ScriptContext ctx) =>
        Words(actual)[0] == ErrnoText(ValueSyntax.ParseResult(expected)) ? null : string.Empty;

    private static string? CheckRcDone(string actual, string expected, ScriptContext ctx)
    {
        var a = Words(actual);
        var e = Words(expected);
        if (a[0] != ErrnoText(ValueSyntax.ParseResult(e[0])))
        {
            return string.Empty;
        }

        return e.Length == 2 && a[1] != "done=" + Num((long)ValueSyntax.ParseNumber(e[1][5..])) ? string.Empty : null;
    }

    private static string? CheckWord(string actual, string expected, ScriptContext ctx) =>
        Words(actual)[0] == expected.Trim() ? null : string.Empty;

    private static string? CheckEntry(string actual, string expected, ScriptContext ctx)
    {
        if (expected == "fault" || actual == "fault")
        {
            return actual == expected ? null : string.Empty;
        }

        var want = ValueSyntax.ParseEntry(Words(expected), ctx.Resolve);
        return ValueSyntax.ParseNumber(Words(actual)[0]) == want ? null : string.Empty;
    }

    private static string ErrnoText(long rc) => ResultText(rc);

    // ---- Names and entries ----------------------------------------------------------------------------------

    private uint CheckName(string name) =>
        names.ContainsKey(name) ? 0u : throw new FormatException($"expected a declared frame name, got '{name}' (declare it with 'frames')");

    /// <summary>
    /// A frame the machine has, which init, expect and the inspection calls index its frame table with: a declared
    /// name, or <c>mfn:N</c> below the machine's frame count. Hypercall arguments may name any 40-bit frame.
    /// </summary>
    private void CheckMachineFrame(string word)
    {
        var v = ValueSyntax.ParseFrame(word, CheckName);
        if (v >= (ulong)config.TotalFrames)
        {
            throw new FormatException(
                $"'{word}' is not a frame of this machine (it has mfn:0 to mfn:{Num(config.TotalFrames - 1)}); only hypercall arguments may name frames past its RAM");
        }
    }

    /// <summary>FRAME[SLOT]; <paramref name="machine"/>: the frame must be one the machine has (see <see cref="CheckMachineFrame"/>).</summary>
    private (string Frame, int Slot) SlotOf(string word, bool machine = false)
    {
        var m = SlotRef().Match(word);
        if (!m.Success)
        {
            throw new FormatException($"expected FRAME[SLOT], e.g. l4[273], got '{word}'");
        }

        var slot = ValueSyntax.ParseInt(m.Groups[2].Value, 0, 511, "a slot");
        ValueSyntax.ParseFrame(m.Groups[1].Value, CheckName);
        if (machine)
        {
            CheckMachineFrame(m.Groups[1].Value);
        }

        return (m.Groups[1].Value, slot);
    }

    private ulong CheckEntryWords(IReadOnlyList<string> words) => ValueSyntax.ParseEntry(words, CheckName);

    /// <summary>Splits trailing <c>key=value</c> options (no spaces) from the words.</summary>
    private static (List<string> Args, Dictionary<string, string> Options) SplitOptions(string[] words, params string[] allowed)
    {
        var args = new List<string>();
        var opts = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var w in words)
        {
            var eq = w.IndexOf('=', StringComparison.Ordinal);
            if (eq > 0 && allowed.Contains(w[..eq]))
            {
                opts[w[..eq]] = w[(eq + 1)..];
            }
            else
            {
                args.Add(w);
            }
        }

        return (args, opts);
    }

    private static uint ParseDomid(string text) => text.ToLowerInvariant() switch
    {
        "self" => DomainIds.Self,
        "io" => DomainIds.Io,
        "xen" => DomainIds.Xen,
        _ => ValueSyntax.ParseNumber(text) <= uint.MaxValue ? (uint)ValueSyntax.ParseNumber(text) : throw new FormatException($"expected a domain id, got '{text}'"),
    };

    // ---- Operations ------------------------------------------------------------------------------------------

    private Func<ScriptContext, string> ParseInit(string[] w)
    {
        if (w.Length < 3 || w[1] != "=")
        {
            throw new FormatException("expected 'init FRAME[SLOT] = ENTRY'");
        }

        var (frame, slot) = SlotOf(w[0], machine: true);
        var entry = w[2..];
        CheckEntryWords(entry);
        return ctx =>
        {
            var mfn = (uint)ValueSyntax.ParseFrame(frame, ctx.Resolve);
            var value = ValueSyntax.ParseEntry(entry, ctx.Resolve);
            try
            {
                ctx.Hypervisor.BuilderWrite(mfn, slot, value);
            }
            catch (ArgumentException e)
            {
                throw new ScriptRunException(e.Message);
            }

            return PageFlags.Format(value);
        };
    }

    private Func<ScriptContext, MmuUpdateRequest> ParseRequest(string[] w)
    {
        if (w.Length == 3 && w[0] == "raw")
        {
            var ptr = ValueSyntax.ParseNumber(w[1]);
            var val = ValueSyntax.ParseNumber(w[2]);
            return _ => new MmuUpdateRequest(ptr, val);
        }

        if (w.Length == 4 && w[0] == "machphys" && w[2] == "=")
        {
            ValueSyntax.ParseFrame(w[1], CheckName);
            var gpfn = ValueSyntax.ParseNumber(w[3]);
            return ctx => new MmuUpdateRequest((ValueSyntax.ParseFrame(w[1], ctx.Resolve) << 12) | (ulong)MmuUpdateCommand.MachphysUpdate, gpfn);
        }

        var cmd = MmuUpdateCommand.NormalPtUpdate;
        if (w.Length > 0 && w[0] is "preserve_ad" or "no_translate")
        {
            cmd = w[0] == "preserve_ad" ? MmuUpdateCommand.PtUpdatePreserveAd : MmuUpdateCommand.PtUpdateNoTranslate;
            w = w[1..];
        }

        if (w.Length < 3 || w[1] != "=")
        {
            throw new FormatException("expected a request: FRAME[SLOT] = ENTRY, preserve_ad FRAME[SLOT] = ENTRY, machphys FRAME = GPFN, or raw PTR VAL");
        }

        var (frame, slot) = SlotOf(w[0]);
        var entry = w[2..];
        CheckEntryWords(entry);
        return ctx => new MmuUpdateRequest(
            (ValueSyntax.ParseFrame(frame, ctx.Resolve) << 12) | ((ulong)slot << 3) | (ulong)cmd,
            ValueSyntax.ParseEntry(entry, ctx.Resolve));
    }

    private static (uint ForeignDom, ulong List, int Copyable) BatchOptions(Dictionary<string, string> opts)
    {
        uint fd = opts.TryGetValue("foreigndom", out var f) ? ParseDomid(f) : DomainIds.Self;
        var (list, copyable) = ListOption(opts);
        return (fd, list, copyable);
    }

    /// <summary>
    /// <c>list=bad</c>: a pointer that fails Xen's range check; <c>list=unmapped@K</c>: a list whose elements from
    /// index K on lie on a page Xen cannot read, so the copy of element K faults (see GuestHandles.AllCopyable).
    /// </summary>
    private static (ulong List, int Copyable) ListOption(Dictionary<string, string> opts)
    {
        if (!opts.TryGetValue("list", out var l))
        {
            return (GuestHandles.Valid, GuestHandles.AllCopyable);
        }

        if (l == "bad")
        {
            return (GuestHandles.Bad, GuestHandles.AllCopyable);
        }

        if (l.StartsWith("unmapped@", StringComparison.Ordinal))
        {
            return (GuestHandles.Valid, ValueSyntax.ParseInt(l[9..], 0, 4096, "the index of the first unreadable element"));
        }

        throw new FormatException($"expected list=bad or list=unmapped@K, got list={l}");
    }

    private List<Func<ScriptContext, T>> ParseBatch<T>(List<string> args, Func<string[], Func<ScriptContext, T>> one, string what)
    {
        var items = new List<Func<ScriptContext, T>>();
        var text = string.Join(' ', args);
        if (text.Length == 0)
        {
            return items;
        }

        foreach (var part in text.Split(';'))
        {
            var w = Words(part);
            if (w.Length == 0)
            {
                throw new FormatException($"expected a {what} between ';'");
            }

            items.Add(one(w));
        }

        return items;
    }

    private Func<ScriptContext, string> ParseMmuUpdate(int vcpu, string[] w)
    {
        var (args, opts) = SplitOptions(w, "foreigndom", "list");
        var reqs = ParseBatch(args, ParseRequest, "request");
        var (fd, list, copyable) = BatchOptions(opts);
        return ctx =>
        {
            var arr = reqs.Select(r => r(ctx)).ToArray();
            var rc = ctx.Hypervisor.MmuUpdate(vcpu, arr, out var done, fd, list, copyable);
            return $"{ErrnoText(rc)} done={done}";
        };
    }

    private Func<ScriptContext, MmuExtOpRequest> ParseExtOp(string[] w)
    {
        var name = w[0];
        var a = w[1..];
        Func<ScriptContext, ulong> Frame(int i)
        {
            if (a.Length <= i)
            {
                throw new FormatException($"expected a frame argument for {name}");
            }

            var word = a[i];
            if (word == "0")
            {
                return _ => 0UL;
            }

            ValueSyntax.ParseFrame(word, CheckName);
            return ctx => ValueSyntax.ParseFrame(word, ctx.Resolve);
        }

        ulong Va(int i) => a.Length > i ? ValueSyntax.ParseVa(a[i]) : throw new FormatException($"expected an address argument for {name}");
        (ulong, ulong) Mask(int i) => a.Length > i ? ValueSyntax.ParseMask(a[i]) : throw new FormatException($"expected a vCPU mask (or 'bad') for {name}");

        switch (name)
        {
            case "pin_l1":
            case "pin_l2":
            case "pin_l3":
            case "pin_l4":
            {
                var level = name[5] - '0';
                var f = Frame(0);
                var cmd = (MmuExtOp)((int)MmuExtOp.PinL1Table + level - 1);
                return ctx => new MmuExtOpRequest(cmd, f(ctx));
            }

            case "unpin":
            {
                var f = Frame(0);
                return ctx => new MmuExtOpRequest(MmuExtOp.UnpinTable, f(ctx));
            }

            case "new_baseptr":
            {
                var f = Frame(0);
                return ctx => new MmuExtOpRequest(MmuExtOp.NewBaseptr, f(ctx));
            }

            case "new_user_baseptr":
            {
                var f = Frame(0);
                return ctx => new MmuExtOpRequest(MmuExtOp.NewUserBaseptr, f(ctx));
            }

            case "tlb_flush_local":
                return _ => new MmuExtOpRequest(MmuExtOp.TlbFlushLocal, 0);
            case "tlb_flush_all":
                return _ => new MmuExtOpRequest(MmuExtOp.TlbFlushAll, 0);
            case "invlpg_local":
            {
                var va = Va(0);
                return _ => new MmuExtOpRequest(MmuExtOp.InvlpgLocal, va);
            }

            case "invlpg_all":
            {
                var va = Va(0);
                return _ => new MmuExtOpRequest(MmuExtOp.InvlpgAll, va);
            }

            case "tlb_flush_multi":
            {
                var (p, m) = Mask(0);
                return _ => new MmuExtOpRequest(MmuExtOp.TlbFlushMulti, 0, p, m);
            }

            case "invlpg_multi":
            {
                var va = Va(0);
                var (p, m) = Mask(1);
                return _ => new MmuExtOpRequest(MmuExtOp.InvlpgMulti, va, p, m);
            }

            case "flush_cache":
                return _ => new MmuExtOpRequest(MmuExtOp.FlushCache, 0);
            case "flush_cache_global":
                return _ => new MmuExtOpRequest(MmuExtOp.FlushCacheGlobal, 0);
            case "set_ldt":
            {
                var va = Va(0);
                var n = a.Length > 1 ? ValueSyntax.ParseNumber(a[1]) : throw new FormatException("expected 'set_ldt VA ENTRIES'");
                return _ => new MmuExtOpRequest(MmuExtOp.SetLdt, va, n);
            }

            case "clear_page":
            {
                var f = Frame(0);
                return ctx => new MmuExtOpRequest(MmuExtOp.ClearPage, f(ctx));
            }

            case "copy_page":
            {
                var d = Frame(0);
                var s = Frame(1);
                return ctx => new MmuExtOpRequest(MmuExtOp.CopyPage, d(ctx), s(ctx));
            }

            case "mark_super":
            case "unmark_super":
            {
                var f = Frame(0);
                var cmd = name == "mark_super" ? MmuExtOp.MarkSuper : MmuExtOp.UnmarkSuper;
                return ctx => new MmuExtOpRequest(cmd, f(ctx));
            }

            case "raw":
            {
                if (a.Length < 1)
                {
                    throw new FormatException("expected 'raw CMD [ARG1 [ARG2]]'");
                }

                var cmd = (MmuExtOp)ValueSyntax.ParseInt(a[0], 0, int.MaxValue, "a command number");
                var a1 = a.Length > 1 ? ValueSyntax.ParseNumber(a[1]) : 0;
                var a2 = a.Length > 2 ? ValueSyntax.ParseNumber(a[2]) : 0;
                return _ => new MmuExtOpRequest(cmd, a1, a2);
            }

            default:
                throw new FormatException($"expected an mmuext command (pin_l1..pin_l4, unpin, new_baseptr, new_user_baseptr, tlb_flush_local/multi/all, invlpg_local/multi/all, flush_cache, flush_cache_global, set_ldt, clear_page, copy_page, mark_super, unmark_super, raw), got '{name}'");
        }
    }

    private Func<ScriptContext, string> ParseMmuext(int vcpu, string[] w)
    {
        var (args, opts) = SplitOptions(w, "foreigndom", "list");
        var ops = ParseBatch(args, ParseExtOp, "command");
        var (fd, list, copyable) = BatchOptions(opts);
        return ctx =>
        {
            var arr = ops.Select(o => o(ctx)).ToArray();
            var rc = ctx.Hypervisor.MmuextOp(vcpu, arr, out var done, fd, list, copyable);
            return $"{ErrnoText(rc)} done={done}";
        };
    }

    private (ulong Va, string[] Entry, ulong Flags, ulong Mask, ushort? Other) ParseUvmArgs(string[] w)
    {
        var (args, opts) = SplitOptions(w, "otherdomain");
        if (args.Count < 3 || args[1] != "=")
        {
            throw new FormatException("expected 'update_va_mapping VA = ENTRY [none|tlb_flush|invlpg] [local|all|multi:MASK]'");
        }

        var va = ValueSyntax.ParseVa(args[0]);
        var entry = new List<string>();
        ulong type = 0;
        ulong scope = 0;
        ulong mask = 0;
        foreach (var word in args.Skip(2))
        {
            if (UvmKeywords.Contains(word))
            {
                switch (word)
                {
                    case "none":
                        type = UvmFlags.None;
                        break;
                    case "tlb_flush":
                        type = UvmFlags.TlbFlush;
                        break;
                    case "invlpg":
                        type = UvmFlags.Invlpg;
                        break;
                    case "local":
                        scope = UvmFlags.Local;
                        break;
                    default:
                        scope = UvmFlags.All;
                        break;
                }
            }
            else if (word.StartsWith("multi:", StringComparison.Ordinal))
            {
                (scope, mask) = ValueSyntax.ParseMask(word[6..]);
            }
            else
            {
                entry.Add(word);
            }
        }

        CheckEntryWords(entry);
        ushort? other = opts.TryGetValue("otherdomain", out var o) ? (ushort)ParseDomid(o) : null;
        return (va, entry.ToArray(), type | scope, mask, other);
    }

    private Func<ScriptContext, string> ParseUvm(int vcpu, string[] w)
    {
        var (va, entry, flags, mask, other) = ParseUvmArgs(w);
        return ctx =>
        {
            var val = ValueSyntax.ParseEntry(entry, ctx.Resolve);
            var rc = other is { } d
                ? ctx.Hypervisor.UpdateVaMappingOtherdomain(vcpu, va, val, flags, d, mask)
                : ctx.Hypervisor.UpdateVaMapping(vcpu, va, val, flags, mask);
            return ErrnoText(rc);
        };
    }

    private Func<ScriptContext, string> ParseVcpuInitialise(int vcpu, string[] w)
    {
        var (args, opts) = SplitOptions(w, "user");
        if (args.Count != 2)
        {
            throw new FormatException("expected 'vcpu_initialise N FRAME [user=FRAME]'");
        }

        var target = ValueSyntax.ParseInt(args[0], 0, 63, "a vCPU number");
        ValueSyntax.ParseFrame(args[1], CheckName);
        var user = opts.TryGetValue("user", out var u) ? u : null;
        if (user != null)
        {
            ValueSyntax.ParseFrame(user, CheckName);
        }

        return ctx => ErrnoText(ctx.Hypervisor.VcpuInitialise(
            vcpu, target, ValueSyntax.ParseFrame(args[1], ctx.Resolve), user == null ? 0UL : ValueSyntax.ParseFrame(user, ctx.Resolve)));
    }

    private enum StoreKind
    {
        Store,
        Store4,
        Xchg,
    }

    private Func<ScriptContext, string> ParseStore(int vcpu, string[] w, StoreKind kind)
    {
        if (w.Length < 3 || w[1] != "=")
        {
            throw new FormatException($"expected '{kind.ToString().ToLowerInvariant()} VA = {(kind == StoreKind.Store4 ? "VALUE" : "ENTRY")}'");
        }

        var va = ValueSyntax.ParseVa(w[0]);
        var entry = w[2..];
        if (kind == StoreKind.Store4 && (entry.Length != 1 || ValueSyntax.ParseNumber(entry[0]) > uint.MaxValue))
        {
            // Four bytes are a number, not an entry: half of one, low (flags, address bits 12-31) or high.
            throw new FormatException($"expected a 32-bit value (0 to 0xffffffff) to store, got '{string.Join(' ', entry)}'");
        }

        CheckEntryWords(entry);
        return ctx =>
        {
            var value = ValueSyntax.ParseEntry(entry, ctx.Resolve);
            switch (kind)
            {
                case StoreKind.Store:
                    return AccessText(ctx.Hypervisor.Store(vcpu, va, value));
                case StoreKind.Store4:
                    return AccessText(ctx.Hypervisor.Store4(vcpu, va, value));
            }

            var r = ctx.Hypervisor.Xchg(vcpu, va, value, out var old);
            return $"{AccessText(r)} old={PageFlags.Format(old)}";
        };
    }

    private static Func<ScriptContext, string> ParseLoad(int vcpu, string[] w)
    {
        if (w.Length != 1)
        {
            throw new FormatException("expected 'load VA'");
        }

        var va = ValueSyntax.ParseVa(w[0]);
        return ctx => ctx.Hypervisor.Load(vcpu, va, out var value) == AccessResult.PageFault ? "fault" : $"0x{value:x} ({PageFlags.Format(value)})";
    }

    private Func<ScriptContext, string> ParseDecrease(int vcpu, string[] w)
    {
        if (w.Length != 1)
        {
            throw new FormatException("expected 'decrease_reservation FRAME'");
        }

        ValueSyntax.ParseFrame(w[0], CheckName);
        return ctx => Num(ctx.Hypervisor.DecreaseReservation(vcpu, ValueSyntax.ParseFrame(w[0], ctx.Resolve)));
    }

    private Func<ScriptContext, string> ParsePopulate(int vcpu, string[] w)
    {
        string? bind = null;
        if (w.Length == 2 && w[0] == "as" && IsName(w[1]))
        {
            bind = w[1];
            if (!names.TryAdd(bind, uint.MaxValue))
            {
                throw new FormatException($"frame name '{bind}' is already declared");
            }
        }
        else if (w.Length != 0)
        {
            throw new FormatException("expected 'populate_physmap [as NAME]'");
        }

        return ctx =>
        {
            var rc = ctx.Hypervisor.PopulatePhysmap(vcpu);
            if (rc < 0)
            {
                return ErrnoText(rc);
            }

            if (bind != null)
            {
                ctx.Names[bind] = (uint)rc;
            }

            return $"ok mfn:{Num(rc)}";
        };
    }

    // ---- Multicall -------------------------------------------------------------------------------------------

    private ScriptStatement ParseMulticall(int line, string body, int vcpu, List<(int Line, string Text)> block)
    {
        var head = Words(body.Split("->")[0]);
        var (extra, opts) = SplitOptions(head[(VcpuPrefix().IsMatch(head[0]) ? 2 : 1)..], "list");
        if (extra.Count != 0 || body.Contains("->", StringComparison.Ordinal))
        {
            throw new FormatException("expected '[vN] multicall [list=bad|list=unmapped@K]' on its line, its entries below, then 'end [-> RESULT]'");
        }

        var (listHandle, copyable) = ListOption(opts);

        var entries = new List<(int Line, string Text, Func<ScriptContext, MulticallBuild, MulticallEntry> Build, Expectation Expect)>();
        Expectation final = Expectation.None;
        foreach (var (ln, text) in block)
        {
            try
            {
                var arrow = text.IndexOf("->", StringComparison.Ordinal);
                var op = arrow >= 0 ? text[..arrow].Trim() : text;
                var exp = arrow >= 0 ? Expectation.Parse(text[(arrow + 2)..]) : Expectation.None;
                foreach (var e in exp.All())
                {
                    if (e.Trim() != "not-executed")
                    {
                        ValueSyntax.ParseResult(Words(e)[0]);
                    }
                }

                var w = Words(op);
                if (w[0] == "end")
                {
                    final = exp;
                    continue;
                }

                entries.Add((ln, text, ParseEntryOp(w), exp));
            }
            catch (FormatException e)
            {
                throw new ScriptException(file, ln, e.Message);
            }
        }

        return new ScriptStatement(line, body, false, ctx =>
        {
            var build = new MulticallBuild();
            var calls = entries.Select(e => e.Build(ctx, build)).ToArray();
            var rc = ctx.Hypervisor.Multicall(vcpu, calls, build.Mmu.ToArray(), build.Ext.ToArray(), listHandle, copyable);
            var sb = new System.Text.StringBuilder();
            var held = true;
            sb.Append(ErrnoText(rc));
            var want = final.For(ctx.Hypervisor.Rules.Version);
            if (want != null && ValueSyntax.ParseResult(Words(want)[0]) != rc)
            {
                held = false;
                sb.Append("  (expected ").Append(want).Append(')');
            }

            for (var i = 0; i < entries.Count; i++)
            {
                var result = calls[i].Result;
                var executed = result != NotRun;
                sb.Append('\n').Append(file).Append(':').Append(entries[i].Line).Append(":   entry ").Append(i).Append(": ")
                    .Append(executed ? ErrnoText(result) : "not executed");
                var e = entries[i].Expect.For(ctx.Hypervisor.Rules.Version);
                if (e == null)
                {
                    continue;
                }

                var ok = e.Trim() == "not-executed" ? !executed : executed && ValueSyntax.ParseResult(Words(e)[0]) == result;
                if (!ok)
                {
                    held = false;
                    sb.Append("  (expected ").Append(e).Append(')');
                }
            }

            return new StepResult(sb.ToString(), held);
        });
    }

    /// <summary>The result a multicall entry keeps when Xen never ran it.</summary>
    private const long NotRun = long.MinValue;

    private Func<ScriptContext, MulticallBuild, MulticallEntry> ParseEntryOp(string[] w)
    {
        var rest = w[1..];
        switch (w[0])
        {
            case "mmu_update":
                return BatchEntry(rest, ParseRequest, "request", b => b.Mmu, MulticallEntry.MmuUpdate);
            case "mmuext":
                return BatchEntry(rest, ParseExtOp, "command", b => b.Ext, MulticallEntry.MmuextOp);
            case "update_va_mapping":
            {
                var (va, entry, flags, mask, other) = ParseUvmArgs(rest);
                if (other != null)
                {
                    throw new FormatException("otherdomain= is not supported inside a multicall");
                }

                return (ctx, _) =>
                {
                    var e = MulticallEntry.UpdateVaMapping(va, ValueSyntax.ParseEntry(entry, ctx.Resolve), flags, mask);
                    e.Result = NotRun;
                    return e;
                };
            }

            case "iret":
            case "xen_version":
            case "multicall":
            case "raw":
            {
                var op = w[0] switch
                {
                    "iret" => HypercallNumber.Iret,
                    "xen_version" => HypercallNumber.XenVersion,
                    "multicall" => HypercallNumber.Multicall,
                    _ => rest.Length == 1 ? (HypercallNumber)ValueSyntax.ParseInt(rest[0], 0, 63, "a hypercall number") : throw new FormatException("expected 'raw N'"),
                };
                return (_, _) => new MulticallEntry { Op = op, Result = NotRun };
            }

            default:
                throw new FormatException($"expected a multicall entry (mmu_update, mmuext, update_va_mapping, iret, xen_version, multicall, raw N) or 'end', got '{w[0]}'");
        }
    }

    /// <summary>A batched multicall entry: its requests go to the multicall's argument area, the entry points at them.</summary>
    private Func<ScriptContext, MulticallBuild, MulticallEntry> BatchEntry<T>(
        string[] rest, Func<string[], Func<ScriptContext, T>> parse, string what, Func<MulticallBuild, List<T>> area, Func<int, int, uint, MulticallEntry> make)
    {
        var (args, opts) = SplitOptions(rest, "foreigndom");
        var items = ParseBatch(args, parse, what);
        uint fd = opts.TryGetValue("foreigndom", out var f) ? ParseDomid(f) : DomainIds.Self;
        return (ctx, b) =>
        {
            var list = area(b);
            var first = list.Count;
            list.AddRange(items.Select(item => item(ctx)));
            var e = make(first, items.Count, fd);
            e.Result = NotRun;
            return e;
        };
    }

    // ---- Assertions ------------------------------------------------------------------------------------------

    private Func<ScriptContext, StepResult> ParseAssertion(string[] w, bool hasArrow)
    {
        if (hasArrow)
        {
            throw new FormatException("an 'expect' line states its own condition; it takes no '->'");
        }

        if (w.Length == 0)
        {
            throw new FormatException("expected something to check after 'expect'");
        }

        return w[0] switch
        {
            "invariants" => Assertions.Invariants(),
            "tlb" => Assertions.Tlb(w[1..], config, CheckName),
            "cr3" or "user-cr3" => Assertions.Cr3(w, config, CheckName),
            "mode" => Assertions.Mode(w[1..], config),
            "events" => Assertions.Events(w[1..], config),
            "m2p" => M2pAssertion(w[1..]),
            "domain-crashed" or "host-crash" or "no-crash" => Assertions.Crash(w[0]),
            _ when w.Length >= 2 && w[1] is "=" or "!=" or "maps" or "!maps" => Assertions.Entry(SlotOf(w[0], machine: true), w[1], w[2..], CheckName),
            _ => FrameAssertion(w),
        };
    }

    private Func<ScriptContext, StepResult> M2pAssertion(string[] w)
    {
        if (w.Length > 0)
        {
            CheckMachineFrame(w[0]);
        }

        return Assertions.M2p(w, CheckName);
    }

    private Func<ScriptContext, StepResult> FrameAssertion(string[] w)
    {
        CheckMachineFrame(w[0]);
        return Assertions.Frame(w, CheckName);
    }

    /// <summary>The argument areas a multicall's batched entries point into.</summary>
    internal sealed class MulticallBuild
    {
        public List<MmuUpdateRequest> Mmu { get; } = [];

        public List<MmuExtOpRequest> Ext { get; } = [];
    }

    /// <summary>Event names as scripts write them: snake_case of <see cref="XenEvent"/>.</summary>
    public static string EventName(XenEvent e) => Regex.Replace(e.ToString(), "(?<=[a-z0-9])([A-Z])", "_$1").ToLowerInvariant();
}
