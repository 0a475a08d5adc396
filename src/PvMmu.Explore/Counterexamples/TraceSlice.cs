namespace PvMmu.Explore.Counterexamples;

/// <summary>One replayed move for a trace: its number, the vCPU, what it did, what changed, and a violation it met.</summary>
public sealed record TraceSlice(int Move, int Cpu, string What, string Notes, string? Violation);
