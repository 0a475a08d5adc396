using PvMmu.Xen.Abi;

namespace PvMmu.Xen.Scripts.Forms;

/// <summary>
/// One command of an mmuext_op batch (Xen's <c>struct mmuext_op</c>, do_mmuext_op's cases): its name, then its frame,
/// address, mask or count arguments; <c>raw CMD [ARG1 [ARG2]]</c> for any command number.
/// </summary>
internal static class MmuExtOpSyntax
{
    public static Func<ScriptContext, MmuExtOpRequest> Parse(string[] w, ParseScope scope)
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

            ValueSyntax.ParseFrame(word, scope.CheckName);
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
}
