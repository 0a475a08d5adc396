namespace PvMmu.Xen.Abi;

/// <summary>
/// update_va_mapping flags (public/xen.h UVMF_*). <c>flags &amp; 3</c> is the flush type; <c>flags &amp; ~3</c> is
/// the scope: 0 local, 4 all, anything else a guest pointer to a vCPU bitmap (UVMF_MULTI).
/// </summary>
public static class UvmFlags
{
    public const ulong None = 0;
    public const ulong TlbFlush = 1;
    public const ulong Invlpg = 2;
    public const ulong FlushTypeMask = 3;
    public const ulong Local = 0;
    public const ulong All = 4;
}
