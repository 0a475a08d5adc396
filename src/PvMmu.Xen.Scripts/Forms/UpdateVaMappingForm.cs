using static PvMmu.Xen.Scripts.XenScriptParser;

namespace PvMmu.Xen.Scripts.Forms;

/// <summary>
/// <c>update_va_mapping VA = ENTRY [FLUSH] [SCOPE] [otherdomain=D]</c>: HYPERVISOR_update_va_mapping
/// (do_update_va_mapping), or its _otherdomain variant when a domain is named.
/// </summary>
internal sealed class UpdateVaMappingForm : OperationForm
{
    protected override OutcomeKind Outcome => OutcomeKind.Rc;

    protected override Func<ScriptContext, string> Build(StatementWords s, ParseScope scope)
    {
        var (va, entry, flags, mask, other) = UvmArguments.Parse(s.Args, scope);
        var vcpu = s.Vcpu;
        return ctx =>
        {
            var val = ValueSyntax.ParseEntry(entry, ctx.Resolve);
            var rc = other is { } d
                ? ctx.Hypervisor.UpdateVaMappingOtherdomain(vcpu, va, val, flags, d, mask)
                : ctx.Hypervisor.UpdateVaMapping(vcpu, va, val, flags, mask);
            return ResultText(rc);
        };
    }
}
