namespace PvMmu.Sim.Workloads;

/// <summary>A process that exists before the programs start: its image, its threads (mm users) and the vCPU that built it.</summary>
public readonly record struct InitialProcess(int Image, int Threads, int Cpu);
