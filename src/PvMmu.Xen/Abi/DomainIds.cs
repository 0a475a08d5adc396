namespace PvMmu.Xen.Abi;

/// <summary>Special domain ids (public/xen.h DOMID_*).</summary>
public static class DomainIds
{
    public const ushort Self = 0x7FF0;
    public const ushort Io = 0x7FF1;
    public const ushort Xen = 0x7FF2;
}
