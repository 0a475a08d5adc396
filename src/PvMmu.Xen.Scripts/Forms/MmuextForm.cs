using static PvMmu.Xen.Scripts.XenScriptParser;

namespace PvMmu.Xen.Scripts.Forms;

/// <summary>
/// <c>mmuext CMD ARGS; CMD ARGS... [foreigndom=D] [list=bad|unmapped@K]</c>: HYPERVISOR_mmuext_op (do_mmuext_op)
/// with its batch; prints the return value and how many commands were done.
/// </summary>
internal sealed class MmuextForm : OperationForm
{
    protected override OutcomeKind Outcome => OutcomeKind.RcDone;

    protected override Func<ScriptContext, string> Build(StatementWords s, ParseScope scope)
    {
        var (args, opts) = Arguments.SplitOptions(s.Args, "foreigndom", "list");
        var ops = Arguments.ParseBatch(args, w => MmuExtOpSyntax.Parse(w, scope), "command");
        var (fd, list, copyable) = Arguments.BatchOptions(opts);
        var vcpu = s.Vcpu;
        return ctx =>
        {
            var arr = ops.Select(o => o(ctx)).ToArray();
            var rc = ctx.Hypervisor.MmuextOp(vcpu, arr, out var done, fd, list, copyable);
            return $"{ResultText(rc)} done={done}";
        };
    }
}
