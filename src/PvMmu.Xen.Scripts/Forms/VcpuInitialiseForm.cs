using static PvMmu.Xen.Scripts.XenScriptParser;

namespace PvMmu.Xen.Scripts.Forms;

/// <summary>
/// <c>vcpu_initialise N FRAME [user=FRAME]</c>: VCPUOP_initialise bringing up vCPU N on a kernel (and user) L4
/// (arch_set_info_guest's CR3 checks).
/// </summary>
internal sealed class VcpuInitialiseForm : OperationForm
{
    protected override OutcomeKind Outcome => OutcomeKind.Rc;

    protected override Func<ScriptContext, string> Build(StatementWords s, ParseScope scope)
    {
        var (args, opts) = Arguments.SplitOptions(s.Args, "user");
        if (args.Count != 2)
        {
            throw new FormatException("expected 'vcpu_initialise N FRAME [user=FRAME]'");
        }

        var target = ValueSyntax.ParseInt(args[0], 0, 63, "a vCPU number");
        ValueSyntax.ParseFrame(args[1], scope.CheckName);
        var user = opts.TryGetValue("user", out var u) ? u : null;
        if (user != null)
        {
            ValueSyntax.ParseFrame(user, scope.CheckName);
        }

        var vcpu = s.Vcpu;
        return ctx => ResultText(ctx.Hypervisor.VcpuInitialise(
            vcpu, target, ValueSyntax.ParseFrame(args[1], ctx.Resolve), user == null ? 0UL : ValueSyntax.ParseFrame(user, ctx.Resolve)));
    }
}
