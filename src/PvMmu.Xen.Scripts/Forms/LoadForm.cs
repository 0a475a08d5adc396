using PvMmu.Xen.Abi;
using PvMmu.Xen.Access;

namespace PvMmu.Xen.Scripts.Forms;

/// <summary><c>load VA</c>: an 8-byte guest read through the vCPU's TLB and tables; prints the value, or fault.</summary>
internal sealed class LoadForm : OperationForm
{
    protected override OutcomeKind Outcome => OutcomeKind.Entry;

    protected override Func<ScriptContext, string> Build(StatementWords s, ParseScope scope)
    {
        var w = s.Args;
        if (w.Length != 1)
        {
            throw new FormatException("expected 'load VA'");
        }

        var va = ValueSyntax.ParseVa(w[0]);
        var vcpu = s.Vcpu;
        return ctx => ctx.Hypervisor.Load(vcpu, va, out var value) == AccessResult.PageFault ? "fault" : $"0x{value:x} ({PageFlags.Format(value)})";
    }
}
