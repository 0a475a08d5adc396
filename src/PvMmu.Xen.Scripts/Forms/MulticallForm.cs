using PvMmu.Xen.Abi;
using static PvMmu.Xen.Scripts.XenScriptParser;

namespace PvMmu.Xen.Scripts.Forms;

/// <summary>
/// <c>[vN] multicall [list=bad|list=unmapped@K]</c>, one entry per line below it, then <c>end [-&gt; RESULT]</c>:
/// HYPERVISOR_multicall (do_multicall) with its entries' arguments laid out as the guest lays them out; prints the
/// call's result and each entry's (or that Xen never ran it), each line checked against its own expectation.
/// </summary>
internal sealed class MulticallForm : IStatementForm
{
    /// <summary>The result a multicall entry keeps when Xen never ran it.</summary>
    private const long NotRun = long.MinValue;

    public ScriptStatement Parse(StatementWords s, ParseScope scope)
    {
        var (line, body, vcpu, block, file) = (s.Line, s.Body, s.Vcpu, s.Block, scope.File);
        var head = Words(body.Split("->")[0]);
        var (extra, opts) = Arguments.SplitOptions(head[(ScriptPatterns.VcpuPrefix().IsMatch(head[0]) ? 2 : 1)..], "list");
        if (extra.Count != 0 || body.Contains("->", StringComparison.Ordinal))
        {
            throw new FormatException("expected '[vN] multicall [list=bad|list=unmapped@K]' on its line, its entries below, then 'end [-> RESULT]'");
        }

        var (listHandle, copyable) = Arguments.ListOption(opts);

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

                entries.Add((ln, text, ParseEntry(w, scope), exp));
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
            sb.Append(ResultText(rc));
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
                    .Append(executed ? ResultText(result) : "not executed");
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

    private static Func<ScriptContext, MulticallBuild, MulticallEntry> ParseEntry(string[] w, ParseScope scope)
    {
        var rest = w[1..];
        switch (w[0])
        {
            case "mmu_update":
                return BatchEntry(rest, w => MmuUpdateRequestSyntax.Parse(w, scope), "request", b => b.Mmu, MulticallEntry.MmuUpdate);
            case "mmuext":
                return BatchEntry(rest, w => MmuExtOpSyntax.Parse(w, scope), "command", b => b.Ext, MulticallEntry.MmuextOp);
            case "update_va_mapping":
            {
                var (va, entry, flags, mask, other) = UvmArguments.Parse(rest, scope);
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
    private static Func<ScriptContext, MulticallBuild, MulticallEntry> BatchEntry<T>(
        string[] rest, Func<string[], Func<ScriptContext, T>> parse, string what, Func<MulticallBuild, List<T>> area, Func<int, int, uint, MulticallEntry> make)
    {
        var (args, opts) = Arguments.SplitOptions(rest, "foreigndom");
        var items = Arguments.ParseBatch(args, parse, what);
        uint fd = opts.TryGetValue("foreigndom", out var f) ? Arguments.ParseDomid(f) : DomainIds.Self;
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

    /// <summary>The argument areas a multicall's batched entries point into.</summary>
    private sealed class MulticallBuild
    {
        public List<MmuUpdateRequest> Mmu { get; } = [];

        public List<MmuExtOpRequest> Ext { get; } = [];
    }
}
