using PvMmu.Xen.Abi;
using static PvMmu.Xen.Scripts.XenScriptParser;

namespace PvMmu.Xen.Scripts.Forms;

/// <summary>
/// <c>store VA = ENTRY</c>, <c>store4 VA = VALUE</c>, <c>xchg VA = ENTRY</c>: a guest write through its own mappings,
/// which faults, succeeds, or is emulated (ptwr_emulated_update) when it hits a read-only page table.
/// </summary>
internal sealed class StoreForm(StoreForm.Kind kind) : OperationForm
{
    public enum Kind
    {
        Store,
        Store4,
        Xchg,
    }

    protected override OutcomeKind Outcome => OutcomeKind.Word;

    protected override Func<ScriptContext, string> Build(StatementWords s, ParseScope scope)
    {
        var w = s.Args;
        if (w.Length < 3 || w[1] != "=")
        {
            throw new FormatException($"expected '{kind.ToString().ToLowerInvariant()} VA = {(kind == Kind.Store4 ? "VALUE" : "ENTRY")}'");
        }

        var va = ValueSyntax.ParseVa(w[0]);
        var entry = w[2..];
        if (kind == Kind.Store4 && (entry.Length != 1 || ValueSyntax.ParseNumber(entry[0]) > uint.MaxValue))
        {
            // Four bytes are a number, not an entry: half of one, low (flags, address bits 12-31) or high.
            throw new FormatException($"expected a 32-bit value (0 to 0xffffffff) to store, got '{string.Join(' ', entry)}'");
        }

        scope.CheckEntryWords(entry);
        var vcpu = s.Vcpu;
        return ctx =>
        {
            var value = ValueSyntax.ParseEntry(entry, ctx.Resolve);
            switch (kind)
            {
                case Kind.Store:
                    return AccessText(ctx.Hypervisor.Store(vcpu, va, value));
                case Kind.Store4:
                    return AccessText(ctx.Hypervisor.Store4(vcpu, va, value));
            }

            var r = ctx.Hypervisor.Xchg(vcpu, va, value, out var old);
            return $"{AccessText(r)} old={PageFlags.Format(old)}";
        };
    }
}
