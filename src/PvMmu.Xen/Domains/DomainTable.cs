namespace PvMmu.Xen.Domains;

/// <summary>
/// The domains a frame can belong to, by index: the guest whose vCPUs the model runs, a second guest that only
/// owns frames (to be refused), and Xen's own special owners. Index 0 is "no owner" (a free frame).
/// </summary>
public sealed class DomainTable
{
    public const ushort NoOwner = 0;

    /// <summary>dom_xen: Xen's heap pages (DOMID_XEN).</summary>
    public const ushort Xen = 1;

    /// <summary>dom_io: I/O memory (DOMID_IO).</summary>
    public const ushort Io = 2;

    /// <summary>The guest whose vCPUs run: domid 1, an unprivileged 64-bit PV domU.</summary>
    public const ushort Guest = 3;

    /// <summary>Another unprivileged guest, domid 2. It has frames and no vCPUs.</summary>
    public const ushort Other = 4;

    public const int Count = 5;

    /// <summary>Numeric domain ids, by index.</summary>
    public static readonly ushort[] DomId = [0xFFFF, Abi.DomainIds.Xen, Abi.DomainIds.Io, 1, 2];

    /// <summary>d->dirty_cpumask: pCPUs that may hold the domain's TLB state.</summary>
    public readonly ulong[] DirtyCpuMask = new ulong[Count];

    /// <summary>d->arch.pv.nr_l4_pages.</summary>
    public readonly int[] NrL4Pages = new int[Count];

    /// <summary>VMASST_TYPE_writable_pagetables is on (Linux turns it on at boot).</summary>
    public readonly bool[] WritablePagetables = new bool[Count];

    /// <summary>domain_crash() was called.</summary>
    public readonly bool[] Crashed = new bool[Count];

    /// <summary>The index of the domain with numeric id <paramref name="domid"/>, or -1.</summary>
    public static int IndexOf(ushort domid)
    {
        for (var i = 1; i < Count; i++)
        {
            if (DomId[i] == domid)
            {
                return i;
            }
        }

        return -1;
    }
}
