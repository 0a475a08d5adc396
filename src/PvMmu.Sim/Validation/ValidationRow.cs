namespace PvMmu.Sim.Validation;

/// <summary>One compared count: a workload's phase and tracepoint, the real and the model's difference from its baseline (PvtestWorkload.Baseline).</summary>
public sealed record ValidationRow(string Workload, string Phase, string Key, long Real, long Model, string Verdict)
{
    public bool Differs => Verdict == ValidationVerdicts.Differs;
}
