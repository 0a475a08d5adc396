namespace PvMmu.Linux.Mm;

/// <summary>A file a workload maps (a shared library, a data file): its name and size in pages.</summary>
public readonly record struct FileImage(string Name, int Pages);
