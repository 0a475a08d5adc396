namespace PvMmu.Xen.Cpu;

/// <summary>What a TLB entry caches besides the frame: the permissions of the walk and whether it is global.</summary>
[Flags]
public enum TlbBits : byte
{
    None = 0,
    Writable = 1 << 0,
    Global = 1 << 1,

    /// <summary>The walk already set the L1 entry's dirty bit, so a write through it needs no new walk.</summary>
    Dirty = 1 << 2,
}
