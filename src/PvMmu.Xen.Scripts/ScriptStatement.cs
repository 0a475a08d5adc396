namespace PvMmu.Xen.Scripts;

/// <summary>One parsed line: an operation or an assertion, run against the script's hypervisor.</summary>
public sealed record ScriptStatement(int Line, string Text, bool IsAssertion, Func<ScriptContext, StepResult> Run);
