using static PvMmu.Xen.Scripts.XenScriptParser;

namespace PvMmu.Xen.Scripts.Forms;

/// <summary><c>iret</c>: HYPERVISOR_iret, the return to guest user mode (do_iret); words after it are ignored.</summary>
internal sealed class IretForm : OperationForm
{
    protected override OutcomeKind Outcome => OutcomeKind.Rc;

    protected override Func<ScriptContext, string> Build(StatementWords s, ParseScope scope)
    {
        var vcpu = s.Vcpu;
        return ctx => ResultText(ctx.Hypervisor.Iret(vcpu));
    }
}
