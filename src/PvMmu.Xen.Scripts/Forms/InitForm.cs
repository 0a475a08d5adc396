using PvMmu.Xen.Abi;

namespace PvMmu.Xen.Scripts.Forms;

/// <summary>
/// <c>init FRAME[SLOT] = ENTRY</c>: the domain builder's write into a page table before the guest runs, behind the
/// type system (Hypervisor.BuilderWrite); refused on a frame already in use as a page table.
/// </summary>
internal sealed class InitForm : OperationForm
{
    protected override OutcomeKind Outcome => OutcomeKind.None;

    protected override Func<ScriptContext, string> Build(StatementWords s, ParseScope scope)
    {
        var w = s.Args;
        if (w.Length < 3 || w[1] != "=")
        {
            throw new FormatException("expected 'init FRAME[SLOT] = ENTRY'");
        }

        var (frame, slot) = scope.SlotOf(w[0], machine: true);
        var entry = w[2..];
        scope.CheckEntryWords(entry);
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
}
