using static PvMmu.Xen.Scripts.XenScriptParser;

namespace PvMmu.Xen.Scripts.Forms;

/// <summary>
/// <c>populate_physmap [as NAME]</c>: XENMEM_populate_physmap of one frame; <c>as NAME</c> declares a name now and
/// binds it to the frame Xen hands out when the statement runs.
/// </summary>
internal sealed class PopulatePhysmapForm : OperationForm
{
    protected override OutcomeKind Outcome => OutcomeKind.Word;

    protected override Func<ScriptContext, string> Build(StatementWords s, ParseScope scope)
    {
        var w = s.Args;
        string? bind = null;
        if (w.Length == 2 && w[0] == "as" && IsName(w[1]))
        {
            bind = w[1];
            if (!scope.Names.TryAdd(bind, uint.MaxValue))
            {
                throw new FormatException($"frame name '{bind}' is already declared");
            }
        }
        else if (w.Length != 0)
        {
            throw new FormatException("expected 'populate_physmap [as NAME]'");
        }

        var vcpu = s.Vcpu;
        return ctx =>
        {
            var rc = ctx.Hypervisor.PopulatePhysmap(vcpu);
            if (rc < 0)
            {
                return ResultText(rc);
            }

            if (bind != null)
            {
                ctx.Names[bind] = (uint)rc;
            }

            return $"ok mfn:{Num(rc)}";
        };
    }
}
