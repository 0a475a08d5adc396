namespace PvMmu.Xen.Scripts.Forms;

/// <summary><c>reset-events</c>: zeroes the event counts, so that a later <c>expect events</c> counts from here.</summary>
internal sealed class ResetEventsForm : OperationForm
{
    protected override OutcomeKind Outcome => OutcomeKind.None;

    protected override Func<ScriptContext, string> Build(StatementWords s, ParseScope scope) => ctx =>
    {
        ctx.Hypervisor.Events.Reset();
        return "events reset";
    };
}
