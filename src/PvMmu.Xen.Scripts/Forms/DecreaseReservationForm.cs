using static PvMmu.Xen.Scripts.XenScriptParser;

namespace PvMmu.Xen.Scripts.Forms;

/// <summary><c>decrease_reservation FRAME</c>: XENMEM_decrease_reservation of one frame; prints the extents released.</summary>
internal sealed class DecreaseReservationForm : OperationForm
{
    protected override OutcomeKind Outcome => OutcomeKind.Rc;

    protected override Func<ScriptContext, string> Build(StatementWords s, ParseScope scope)
    {
        var w = s.Args;
        if (w.Length != 1)
        {
            throw new FormatException("expected 'decrease_reservation FRAME'");
        }

        ValueSyntax.ParseFrame(w[0], scope.CheckName);
        var vcpu = s.Vcpu;
        return ctx => Num(ctx.Hypervisor.DecreaseReservation(vcpu, ValueSyntax.ParseFrame(w[0], ctx.Resolve)));
    }
}
