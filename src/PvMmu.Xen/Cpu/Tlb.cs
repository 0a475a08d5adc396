namespace PvMmu.Xen.Cpu;

/// <summary>
/// Every vCPU's TLB (the model runs vCPU i on pCPU i, so per-vCPU is per-pCPU). A fixed number of entries per CPU
/// (va page → frame, permissions, and the tables the walk went through, to check that none is later retyped or
/// freed), replaced round-robin; plus the translations of Xen's own linear page-table mapping that Xen used on
/// this CPU (__linear_l1_table and __linear_l2_table pages: for a guest address, the L1 or L2 frame the linear
/// map reached), which an INVLPG of the guest address does not remove (XSA-286). Entries leave only by the
/// flushes that really remove them.
/// </summary>
public sealed class Tlb
{
    public readonly int Capacity;
    public readonly int LinearCapacity;

    /// <summary>Page number + 1 of the cached virtual address; 0 marks a free entry.</summary>
    public readonly ulong[] Key;
    public readonly uint[] Mfn;
    public readonly TlbBits[] Bits;

    /// <summary>The L1, L2 and L3 frames the walk read (the L4 is the CR3 the entry was filled under).</summary>
    public readonly uint[] L1;
    public readonly uint[] L2;
    public readonly uint[] L3;
    public readonly uint[] L4;
    public readonly int[] Next;

    /// <summary>Key of a linear page-table translation Xen cached (guest address region and level); 0 marks a free entry.</summary>
    public readonly ulong[] LinearKey;
    public readonly uint[] LinearFrame;
    public readonly int[] LinearNext;

    public Tlb(int cpus, int capacity = 64, int linearCapacity = 16)
    {
        Capacity = capacity;
        LinearCapacity = linearCapacity;
        Key = new ulong[cpus * capacity];
        Mfn = new uint[cpus * capacity];
        Bits = new TlbBits[cpus * capacity];
        L1 = new uint[cpus * capacity];
        L2 = new uint[cpus * capacity];
        L3 = new uint[cpus * capacity];
        L4 = new uint[cpus * capacity];
        Next = new int[cpus];
        LinearKey = new ulong[cpus * linearCapacity];
        LinearFrame = new uint[cpus * linearCapacity];
        LinearNext = new int[cpus];
    }

    /// <summary>The index of the entry caching <paramref name="va"/> on <paramref name="cpu"/>, or -1.</summary>
    public int Find(int cpu, ulong va)
    {
        var key = (va >> 12) + 1;
        var start = cpu * Capacity;
        var end = start + Capacity;
        for (var i = start; i < end; i++)
        {
            if (Key[i] == key)
            {
                return i;
            }
        }

        return -1;
    }

    /// <summary>Caches a translation, replacing an older one for the same page or the next round-robin entry.</summary>
    public int Insert(int cpu, ulong va, uint mfn, TlbBits bits, uint l4, uint l3, uint l2, uint l1)
    {
        var i = Find(cpu, va);
        if (i < 0)
        {
            i = (cpu * Capacity) + Next[cpu];
            Next[cpu] = (Next[cpu] + 1) % Capacity;
        }

        Key[i] = (va >> 12) + 1;
        Mfn[i] = mfn;
        Bits[i] = bits;
        L4[i] = l4;
        L3[i] = l3;
        L2[i] = l2;
        L1[i] = l1;
        return i;
    }

    /// <summary>
    /// The frame cached for Xen's linear mapping of <paramref name="va"/>'s level-<paramref name="level"/> entry
    /// (1: the L1 that holds va's PTE, 2: the L2 that holds its PDE), or 0.
    /// </summary>
    public uint FindLinear(int cpu, ulong va, int level)
    {
        var key = LinearKeyOf(va, level);
        var start = cpu * LinearCapacity;
        for (var i = start; i < start + LinearCapacity; i++)
        {
            if (LinearKey[i] == key)
            {
                return LinearFrame[i];
            }
        }

        return 0;
    }

    public void InsertLinear(int cpu, ulong va, int level, uint frame)
    {
        var key = LinearKeyOf(va, level);
        var start = cpu * LinearCapacity;
        for (var i = start; i < start + LinearCapacity; i++)
        {
            if (LinearKey[i] == key)
            {
                LinearFrame[i] = frame;
                return;
            }
        }

        var slot = start + LinearNext[cpu];
        LinearNext[cpu] = (LinearNext[cpu] + 1) % LinearCapacity;
        LinearKey[slot] = key;
        LinearFrame[slot] = frame;
    }

    private static ulong LinearKeyOf(ulong va, int level) => ((((va & 0x0000_FFFF_FFFF_FFFFUL) >> (12 + (9 * level))) << 2) | (uint)level) + 1;

    /// <summary>A full flush, global entries included (CR3 reload with PGE toggled, or INVPCID all).</summary>
    public void FlushAll(int cpu)
    {
        Array.Clear(Key, cpu * Capacity, Capacity);
        Array.Clear(LinearKey, cpu * LinearCapacity, LinearCapacity);
    }

    /// <summary>A CR3 write that keeps global entries (Xen's guest kernel/user switch).</summary>
    public void FlushNonGlobal(int cpu)
    {
        var start = cpu * Capacity;
        for (var i = start; i < start + Capacity; i++)
        {
            if ((Bits[i] & TlbBits.Global) == 0)
            {
                Key[i] = 0;
            }
        }

        Array.Clear(LinearKey, cpu * LinearCapacity, LinearCapacity);
    }

    /// <summary>INVLPG: the entry for one page, global or not. Xen's linear-map entries are other pages and stay.</summary>
    public void FlushOne(int cpu, ulong va)
    {
        var i = Find(cpu, va);
        if (i >= 0)
        {
            Key[i] = 0;
        }
    }
}
