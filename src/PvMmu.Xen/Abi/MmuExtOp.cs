namespace PvMmu.Xen.Abi;

/// <summary>mmuext_op commands (public/xen.h MMUEXT_*), with Xen's numbering.</summary>
public enum MmuExtOp : uint
{
    PinL1Table = 0,
    PinL2Table = 1,
    PinL3Table = 2,
    PinL4Table = 3,
    UnpinTable = 4,
    NewBaseptr = 5,
    TlbFlushLocal = 6,
    InvlpgLocal = 7,
    TlbFlushMulti = 8,
    InvlpgMulti = 9,
    TlbFlushAll = 10,
    InvlpgAll = 11,
    FlushCache = 12,
    SetLdt = 13,
    NewUserBaseptr = 15,
    ClearPage = 16,
    CopyPage = 17,
    FlushCacheGlobal = 18,
    MarkSuper = 19,
    UnmarkSuper = 20,
}
