namespace PvMmu.Sim.Validation;

/// <summary>One compared count: a workload's phase and tracepoint, the real and the model's difference against N = 0.</summary>
public sealed record ValidationRow(string Workload, string Phase, string Key, long Real, long Model, string Verdict)
{
    public bool Differs => Verdict == ValidationVerdicts.Differs;
}
