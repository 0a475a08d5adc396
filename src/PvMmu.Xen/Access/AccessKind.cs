namespace PvMmu.Xen.Access;

/// <summary>A guest memory access of eight bytes.</summary>
public enum AccessKind
{
    Load,
    Store,

    /// <summary>xchg: a locked read-modify-write, which Xen's emulator sees through its cmpxchg hook.</summary>
    Xchg,
}
