namespace PvMmu.Xen.Access;

/// <summary>A guest memory access: eight bytes, except <see cref="Store4"/>.</summary>
public enum AccessKind
{
    Load,
    Store,

    /// <summary>xchg: a locked read-modify-write, which Xen's emulator sees through its cmpxchg hook.</summary>
    Xchg,

    /// <summary>
    /// A naturally aligned 4-byte store (a 32-bit PTE half write, as a guest's set_pte on 2-level or PAE code does):
    /// the other half of the 8-byte word is kept, and ptwr widens it to a full entry before validating it.
    /// </summary>
    Store4,
}
