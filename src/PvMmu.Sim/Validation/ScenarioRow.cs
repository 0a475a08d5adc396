namespace PvMmu.Sim.Validation;

/// <summary>One compared count of a scenario run: a phase, a vCPU and a tracepoint, the real and the model's count, the verdict and what explains a difference.</summary>
public sealed record ScenarioRow(string Phase, int Cpu, string Key, long Real, long Model, string Verdict, string Note)
{
    public bool Differs => Verdict == ValidationVerdicts.Differs;
}
