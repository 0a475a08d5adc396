namespace PvMmu.Linux.Multicalls;

/// <summary>One failed entry that xen_mc_flush reports with its WARN: the op, its first argument and Xen's result.</summary>
public readonly record struct McWarning(int Cpu, int Entry, PvMmu.Xen.Abi.HypercallNumber Op, ulong Arg0, long Result);
