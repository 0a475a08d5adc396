namespace PvMmu.Xen.Scripts.Forms;

/// <summary><c>syscall</c>: a syscall from guest user mode, back to the kernel page tables (toggle_guest_mode); no outcome.</summary>
internal sealed class SyscallForm : OperationForm
{
    protected override OutcomeKind Outcome => OutcomeKind.None;

    protected override Func<ScriptContext, string> Build(StatementWords s, ParseScope scope)
    {
        var vcpu = s.Vcpu;
        return ctx =>
        {
            ctx.Hypervisor.EnterKernel(vcpu);
            return "kernel mode";
        };
    }
}
