namespace PvMmu.Linux.Mm;

/// <summary>One mapping of a process image: where it starts and how many of its pages the program touches.</summary>
public readonly record struct MemoryRegion(ulong Start, int Pages);
