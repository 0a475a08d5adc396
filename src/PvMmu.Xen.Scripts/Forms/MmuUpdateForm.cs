using static PvMmu.Xen.Scripts.XenScriptParser;

namespace PvMmu.Xen.Scripts.Forms;

/// <summary>
/// <c>mmu_update REQ; REQ... [foreigndom=D] [list=bad|unmapped@K]</c>: HYPERVISOR_mmu_update (do_mmu_update) with
/// its batch; prints the return value and how many requests were done.
/// </summary>
internal sealed class MmuUpdateForm : OperationForm
{
    protected override OutcomeKind Outcome => OutcomeKind.RcDone;

    protected override Func<ScriptContext, string> Build(StatementWords s, ParseScope scope)
    {
        var (args, opts) = Arguments.SplitOptions(s.Args, "foreigndom", "list");
        var reqs = Arguments.ParseBatch(args, w => MmuUpdateRequestSyntax.Parse(w, scope), "request");
        var (fd, list, copyable) = Arguments.BatchOptions(opts);
        var vcpu = s.Vcpu;
        return ctx =>
        {
            var arr = reqs.Select(r => r(ctx)).ToArray();
            var rc = ctx.Hypervisor.MmuUpdate(vcpu, arr, out var done, fd, list, copyable);
            return $"{ResultText(rc)} done={done}";
        };
    }
}
