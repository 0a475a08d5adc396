namespace PvMmu.Xen.Inspection;

/// <summary>One cached translation: the frame and whether it allows writes and survives a non-global flush.</summary>
public readonly record struct TlbEntryInfo(uint Mfn, bool Writable, bool Global);
